import { temporal } from '@temporalio/proto';

// Structural checks on an exported history (parsed JSON, `temporal workflow show --output json`),
// made before the history is replayed. The replayer trusts the shape of what it is fed: a crafted
// history can make it stall (an update accepted after the close event, a lone started event) or
// panic (a started workflow task followed by anything but its completion, failure or timeout), and
// events appended after the close event replay without any error at all. A history with any of
// these problems is not replayed.

const EventType = temporal.api.enums.v1.EventType;

/** Event types without their `EVENT_TYPE_` prefix, e.g. WORKFLOW_EXECUTION_STARTED. */
const KNOWN_TYPES = new Set(
  Object.keys(EventType)
    .filter((k) => Number.isNaN(Number(k)) && k !== 'EVENT_TYPE_UNSPECIFIED')
    .map((k) => k.replace(/^EVENT_TYPE_/, '')),
);

const STARTED = 'WORKFLOW_EXECUTION_STARTED';
const CLOSE_TYPES = new Set([
  'WORKFLOW_EXECUTION_COMPLETED',
  'WORKFLOW_EXECUTION_FAILED',
  'WORKFLOW_EXECUTION_TIMED_OUT',
  'WORKFLOW_EXECUTION_CANCELED',
  'WORKFLOW_EXECUTION_TERMINATED',
  'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
]);
/** What may follow a WorkflowTaskStarted event; anything else makes the SDK core's replay poller
 * panic (sdk-core `HistoryInfo::new_from_history`, unwrapped in `replay/mod.rs`). */
const AFTER_TASK_STARTED = new Set([
  'WORKFLOW_TASK_COMPLETED',
  'WORKFLOW_TASK_FAILED',
  'WORKFLOW_TASK_TIMED_OUT',
  'WORKFLOW_EXECUTION_TERMINATED',
  'WORKFLOW_EXECUTION_TIMED_OUT',
]);

/** Enough to tell the auditor what is wrong without flooding the report on a mangled file. */
const MAX_PROBLEMS = 10;

/** WORKFLOW_EXECUTION_STARTED -> WorkflowExecutionStarted */
export function eventTypeName(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The attributes field that goes with a type: WORKFLOW_EXECUTION_STARTED -> workflowExecutionStartedEventAttributes. */
function attributesKey(type: string): string {
  const name = eventTypeName(type);
  return `${name.charAt(0).toLowerCase()}${name.slice(1)}EventAttributes`;
}

/** The event type in constant case without prefix, from any form proto JSON allows
 * ("EVENT_TYPE_TIMER_STARTED", "TimerStarted", or the enum number); undefined if unknown. */
export function normaliseType(raw: unknown): string | undefined {
  let type: string | undefined;
  if (typeof raw === 'number') type = EventType[raw];
  else if (typeof raw === 'string')
    type = raw.startsWith('EVENT_TYPE_')
      ? raw
      : `EVENT_TYPE_${raw.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
  const short = type?.replace(/^EVENT_TYPE_/, '');
  return short && KNOWN_TYPES.has(short) ? short : undefined;
}

/** A positive whole event id, as proto JSON writes an int64 (a string) or as a number. */
export function eventIdOf(raw: unknown): number | undefined {
  const n = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

const idRange = (from: number, to: number) => (from === to ? `event ${from}` : `events ${from}–${to}`);

/**
 * Problems with the structure of a history, as readable sentences naming the event ids; empty if
 * it is well formed. Checked: the history has events; ids start at 1 and rise by one; every type is
 * known and carries its attributes; exactly one WorkflowExecutionStarted, first, naming its
 * workflow type; at most one close event and nothing after it; a started workflow task is followed
 * by its completion, failure or timeout.
 */
export function historyShapeProblems(history: unknown): string[] {
  if (typeof history !== 'object' || history === null || !Array.isArray((history as { events?: unknown }).events)) {
    return ['the history is not an object with an events array'];
  }
  const events = (history as { events: unknown[] }).events;
  if (events.length === 0) return ['the history has no events'];

  const problems: string[] = [];
  /** per position: the event's id (if valid) and normalised type (if known) */
  const ids: (number | undefined)[] = [];
  const types: (string | undefined)[] = [];
  const label = (i: number) => (ids[i] !== undefined ? `event ${ids[i]}` : `the event at position ${i + 1}`);
  const labelWithType = (i: number) => `${label(i)}${types[i] ? ` (${eventTypeName(types[i])})` : ''}`;

  let previousId: number | undefined;
  events.forEach((event, i) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      ids.push(undefined);
      types.push(undefined);
      problems.push(`the event at position ${i + 1} is not an object`);
      previousId = (previousId ?? 0) + 1; // count it as there, so the next id is not reported missing
      return;
    }
    const e = event as Record<string, unknown>;
    const id = eventIdOf(e.eventId);
    ids.push(id);
    if (id === undefined) {
      problems.push(`the event at position ${i + 1} has no valid event id (${JSON.stringify(e.eventId) ?? 'none'})`);
      previousId = (previousId ?? 0) + 1;
    } else {
      if (previousId === undefined && i === 0 && id !== 1) problems.push(`the first event has id ${id}, not 1`);
      else if (previousId !== undefined && id > previousId + 1)
        problems.push(
          `${idRange(previousId + 1, id - 1)} ${id - previousId - 1 === 1 ? 'is' : 'are'} missing: event ${previousId} is followed by event ${id}`,
        );
      else if (previousId !== undefined && id <= previousId)
        problems.push(`event ${id} comes after event ${previousId}: event ids must rise by one`);
      previousId = id;
    }
    const type = normaliseType(e.eventType);
    types.push(type);
    if (!type) problems.push(`${label(i)} has an unknown event type ${JSON.stringify(e.eventType) ?? '(none)'}`);
    else {
      const attributes = e[attributesKey(type)];
      if (typeof attributes !== 'object' || attributes === null)
        problems.push(`${label(i)} (${eventTypeName(type)}) has no ${attributesKey(type)}`);
    }
  });

  // exactly one WorkflowExecutionStarted, and it is the first event
  if (types[0] !== undefined && types[0] !== STARTED)
    problems.push(`the history does not begin with WorkflowExecutionStarted: ${labelWithType(0)} comes first`);
  types.forEach((type, i) => {
    if (type === STARTED && i > 0)
      problems.push(
        `${label(i)} is ${types[0] === STARTED ? 'a second' : 'a'} WorkflowExecutionStarted event, after the first event`,
      );
  });
  if (types[0] === STARTED) {
    const attributes = (events[0] as Record<string, Record<string, unknown> | undefined>)
      .workflowExecutionStartedEventAttributes;
    const workflowType = attributes?.workflowType as { name?: unknown } | undefined;
    if (attributes && !(typeof workflowType?.name === 'string' && workflowType.name))
      problems.push(`${label(0)} (WorkflowExecutionStarted) names no workflow type`);
  }

  // at most one close event, and nothing after it
  const close = types.findIndex((t) => t !== undefined && CLOSE_TYPES.has(t));
  if (close >= 0 && close < events.length - 1) {
    const after = events.length - 1 - close;
    const anotherClose = types.slice(close + 1).some((t) => t !== undefined && CLOSE_TYPES.has(t));
    const first = close + 1;
    const what =
      after === 1
        ? `${labelWithType(first)} comes`
        : ids[first] !== undefined && ids[events.length - 1] !== undefined
          ? `${idRange(ids[first], ids[events.length - 1]!)} (${after} events) come`
          : `${after} events come`;
    problems.push(
      `${what} after the close event ${labelWithType(close).replace(/^event /, '')}${anotherClose ? ', among them another close event' : ''}: nothing may follow the close event`,
    );
  }

  // a started workflow task ends in its completion, failure or timeout (or the workflow's end)
  types.forEach((type, i) => {
    const next = types[i + 1];
    if (
      type === 'WORKFLOW_TASK_STARTED' &&
      i + 1 < events.length &&
      next !== undefined &&
      !AFTER_TASK_STARTED.has(next)
    ) {
      problems.push(
        `${label(i)} (WorkflowTaskStarted) is followed by ${labelWithType(i + 1)}: a started workflow task must be followed by its completion, failure or timeout`,
      );
    }
  });

  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS;
    return [...problems.slice(0, MAX_PROBLEMS), `and ${more} more problem${more === 1 ? '' : 's'}`];
  }
  return problems;
}

/**
 * A history as the tools write it, in the one form the audit reads (`{ events: [...] }`, oldest
 * first): `temporal workflow show --output json` and our export write that; the Web UI's download
 * may be the bare event array; `workflow show --reverse` lists the newest first. Anything else is
 * returned as it is, for the shape check to name.
 */
export function historyFromExport(json: unknown): unknown {
  const history = Array.isArray(json) ? { events: json } : json;
  const events = (history as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length < 2) return history;
  const ids = events.map((e) => eventIdOf((e as { eventId?: unknown } | null)?.eventId));
  const newestFirst = ids.every((id, i) => id !== undefined && (i === 0 || id < ids[i - 1]!));
  return newestFirst ? { ...(history as object), events: [...(events as unknown[])].reverse() } : history;
}
