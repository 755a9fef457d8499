import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyShapeProblems } from '../../audit/verifier/history-shape';

// A real rehearsal ceremony's history (gate 2 of 3, one ledger record), exported once with
// historyToJSON: 56 events, WorkflowExecutionStarted (1) ... WorkflowExecutionCompleted (56).
type Event = Record<string, any>;
type History = { events: Event[] };
const fixture: History = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'histories', 'rehearsal.json'), 'utf8'),
);
const history = (): History => structuredClone(fixture);
const renumber = (h: History): History => {
  h.events.forEach((e, i) => (e.eventId = String(i + 1)));
  return h;
};
/** A copy of the event with `fromId`, given the id `newId`. */
const copyOf = (h: History, fromId: number, newId: number): Event => ({
  ...structuredClone(h.events[fromId - 1]),
  eventId: String(newId),
});
const typeOf = (h: History, id: number) => h.events[id - 1].eventType;

test('the fixture is what the other cases edit: a real, well-formed history', () => {
  const h = history();
  expect(h.events).toHaveLength(56);
  expect([typeOf(h, 1), typeOf(h, 19), typeOf(h, 56)]).toEqual([
    'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
    'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  ]);
  expect(historyShapeProblems(h)).toEqual([]);
});

test('the other spellings proto JSON allows are well formed too: numeric ids, PascalCase or numeric types', () => {
  const h = history();
  h.events.forEach((e, i) => {
    e.eventId = i + 1;
    if (i % 2 === 0)
      e.eventType = e.eventType
        .replace(/^EVENT_TYPE_/, '')
        .toLowerCase()
        .replace(/(^|_)([a-z])/g, (_m: string, _u: string, c: string) => c.toUpperCase());
  });
  h.events[1].eventType = 5; // EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
  expect(typeOf(h, 1)).toBe('WorkflowExecutionStarted');
  expect(historyShapeProblems(h)).toEqual([]);
});

test('no history, no events', () => {
  expect(historyShapeProblems({ events: [] })).toEqual(['the history has no events']);
  for (const bad of [null, 'text', [], {}, { events: {} }])
    expect(historyShapeProblems(bad)).toEqual(['the history is not an object with an events array']);
});

test("an event appended after the close event (the auditor's hang) is named with the close event", () => {
  const h = history();
  h.events.push(copyOf(h, 19, 57)); // an update accepted, after WorkflowExecutionCompleted
  expect(historyShapeProblems(h)).toEqual([
    'event 57 (WorkflowExecutionUpdateAccepted) comes after the close event 56 (WorkflowExecutionCompleted): nothing may follow the close event',
  ]);
});

test('several events after the close, one of them a second close event', () => {
  const h = history();
  h.events.push(copyOf(h, 53, 57), copyOf(h, 56, 58), copyOf(h, 10, 59));
  expect(historyShapeProblems(h)).toEqual([
    'events 57–59 (3 events) come after the close event 56 (WorkflowExecutionCompleted), among them another close event: nothing may follow the close event',
  ]);
});

test('a gap in the event ids names the missing ids', () => {
  const one = history();
  one.events.splice(9, 1); // event 10
  expect(historyShapeProblems(one)).toEqual(['event 10 is missing: event 9 is followed by event 11']);
  const three = history();
  three.events.splice(29, 3); // events 30-32
  expect(historyShapeProblems(three)).toEqual(['events 30–32 are missing: event 29 is followed by event 33']);
});

test('ids that repeat or go back, and ids that do not start at 1', () => {
  const repeated = history();
  repeated.events[10].eventId = '10';
  expect(historyShapeProblems(repeated)).toEqual([
    'event 10 comes after event 10: event ids must rise by one',
    'event 11 is missing: event 10 is followed by event 12',
  ]);
  const shifted = history();
  shifted.events.forEach((e, i) => (e.eventId = String(i + 2)));
  expect(historyShapeProblems(shifted)).toEqual(['the first event has id 2, not 1']);
  const garbage = history();
  garbage.events[4].eventId = 'five';
  expect(historyShapeProblems(garbage)).toEqual(['the event at position 5 has no valid event id ("five")']);
});

test('a duplicated WorkflowExecutionStarted event', () => {
  const h = history();
  h.events.splice(1, 0, copyOf(h, 1, 2));
  expect(historyShapeProblems(renumber(h))).toEqual([
    'event 2 is a second WorkflowExecutionStarted event, after the first event',
  ]);
});

test('a history that does not begin with WorkflowExecutionStarted, or whose start names no workflow type', () => {
  const h = history();
  h.events.shift();
  expect(historyShapeProblems(renumber(h))).toEqual([
    'the history does not begin with WorkflowExecutionStarted: event 1 (WorkflowTaskScheduled) comes first',
  ]);
  const moved = history();
  moved.events.push(moved.events.shift()!); // the start, moved to the end
  expect(historyShapeProblems(renumber(moved))).toEqual(
    expect.arrayContaining([
      'the history does not begin with WorkflowExecutionStarted: event 1 (WorkflowTaskScheduled) comes first',
      'event 56 is a WorkflowExecutionStarted event, after the first event',
      'event 56 (WorkflowExecutionStarted) comes after the close event 55 (WorkflowExecutionCompleted): nothing may follow the close event',
    ]),
  );
  const untyped = history();
  delete untyped.events[0].workflowExecutionStartedEventAttributes.workflowType;
  expect(historyShapeProblems(untyped)).toEqual(['event 1 (WorkflowExecutionStarted) names no workflow type']);
});

test('unknown event types, and events without the attributes of their type', () => {
  const h = history();
  h.events[4].eventType = 'EVENT_TYPE_BOGUS';
  h.events[6].eventType = 'EVENT_TYPE_UNSPECIFIED';
  delete h.events[8].activityTaskStartedEventAttributes;
  (h.events as unknown[])[11] = 'not an event';
  expect(historyShapeProblems(h)).toEqual([
    'event 5 has an unknown event type "EVENT_TYPE_BOGUS"',
    'event 7 has an unknown event type "EVENT_TYPE_UNSPECIFIED"',
    'event 9 (ActivityTaskStarted) has no activityTaskStartedEventAttributes',
    'the event at position 12 is not an object',
  ]);
});

test('a started workflow task followed by anything but its completion, failure or timeout (core panics on it)', () => {
  const h = history();
  h.events.splice(3, 1); // event 4, WorkflowTaskCompleted
  expect(historyShapeProblems(renumber(h))).toEqual([
    'event 3 (WorkflowTaskStarted) is followed by event 4 (UpsertWorkflowSearchAttributes): a started workflow task must be followed by its completion, failure or timeout',
  ]);
  const last = history();
  last.events.splice(54); // ends with WorkflowTaskStarted 54: a workflow still running, fine
  expect(historyShapeProblems(last)).toEqual([]);
});

test('a mangled history gets the first ten problems and a count of the rest', () => {
  const h = history();
  h.events.forEach((e, i) => i > 0 && (e.eventType = 'EVENT_TYPE_BOGUS'));
  const problems = historyShapeProblems(h);
  expect(problems).toHaveLength(11);
  expect(problems[0]).toBe('event 2 has an unknown event type "EVENT_TYPE_BOGUS"');
  expect(problems[10]).toBe('and 45 more problems');
});

test('well formed is not the same as replayable: a lone WorkflowExecutionStarted passes (the time limit catches its stalled replay)', () => {
  expect(historyShapeProblems({ events: [history().events[0]] })).toEqual([]);
});
