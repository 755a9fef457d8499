import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../../audit/tooling/export';
import { auditEvents } from '../../audit/verifier/history';
import { checkInvariants } from '../../audit/verifier/invariants';
import { reportModel } from '../../audit/verifier/report-model';
import { verifyHistories } from '../../audit/tooling/verify';
import type { OperationName } from '../../ceremonies/operations';
import { closedCeremonyFacts } from '../../web/closed-ceremony-facts';
import { driveGates } from '../support/drive';
import { gate, result, startHarness, testPlan, type Harness } from '../support/harness';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// Short read-only steps (and the policy check) run as local activities: a marker in the history
// that names its step, no round trip through the server. Steps that change something stay
// activities, and so does a read in the workflow task that accepted an update (the approval's
// answer would wait for it). WORKER_LOCAL_READS=false makes every step an activity. The audit
// reads both.

let sim: SimulatedHsm;
let local: Harness;
let remote: Harness;
beforeAll(async () => {
  sim = await startSimulatedHsm('hsm-sim-1');
  initialiseDirectly(sim, [{ name: 'payments', objects: 3 }]);
  Object.assign(process.env, SECRETS);
  local = await startHarness('local-reads', { inventoryPath: sim.inventoryPath });
  remote = await startHarness('remote-reads', {
    inventoryPath: sim.inventoryPath,
    config: { WORKER_LOCAL_READS: 'false' },
  });
});
afterAll(async () => {
  await local?.stop();
  await remote?.stop();
  await sim?.close();
});

const device = (id: string, op: OperationName, args: Record<string, string | number> = {}) =>
  ({ id, type: 'device', title: op, hsm: 'hsm-sim-1', op, args }) as const;

function withoutLedgerPartition(): void {
  sim.appliance.state.update((s) => {
    s.partitions = s.partitions.filter((p) => p.name !== 'ledger');
  });
}

async function runCeremony(h: Harness) {
  const plan = testPlan(
    [
      gate(),
      device('show', 'hsm.show'),
      device('create', 'partition.create', { partition: 'ledger' }),
      device('present', 'partition.present', { partition: 'ledger' }),
      device('show-again', 'hsm.show'),
    ],
    { hsm: 'hsm-sim-1' },
  );
  const id = await h.start(plan);
  expect((await driveGates(h.ceremonies, id)).phase).toBe('completed');
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  const history = await h.ceremonies.handle(id).fetchHistory();
  return { id, final, history, events: await auditEvents(history) };
}

test('read-only steps run as local activities, a step that changes something as an activity; the audit reads both', async () => {
  withoutLedgerPartition();
  const { id, final, history, events } = await runCeremony(local);
  expect(final.steps.filter((s) => s.type === 'device').map((s) => [s.id, s.evidence?.outcome])).toEqual([
    ['show', 'checked'],
    ['create', 'applied'],
    ['present', 'checked'],
    ['show-again', 'checked'],
  ]);
  // the history: markers for the policy check and the two reads after the change; activities for
  // the change and for the read right after the gate, whose approval is answered before it runs
  const markers = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  expect(markers).toHaveLength(3);
  const runs = events.filter((e) => e.activity && e.activity.type !== 'notify' && e.activity.type !== 'ticketComment');
  expect(
    runs.map((e) => [
      e.activity!.type,
      (e.activity!.input as { stepId?: string }).stepId ?? '',
      Boolean(e.activity!.local),
    ]),
  ).toEqual([
    ['checkPolicy', '', true],
    ['hsm.show', 'show', false],
    ['partition.create', 'create', false],
    ['partition.present', 'present', true],
    ['hsm.show', 'show-again', true],
  ]);
  const approvalsAnswered = history
    .events!.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)
    .map((e) => Number(e.eventId));
  expect(approvalsAnswered).toHaveLength(2);
  expect(Math.max(...approvalsAnswered)).toBeLessThan(runs[1].id);
  // a marker carries its result: the evidence, with the commands as sent and when
  const present = runs[3];
  expect(present.activityResult?.scheduledId).toBe(present.id);
  expect(present.activity!.input).toMatchObject({ stepId: 'present', args: { partition: 'ledger' } });
  const transcript = (present.activityResult!.result as { transcript: { command: string; at: string; ms: number }[] })
    .transcript;
  expect(transcript.map((t) => t.command)).toEqual(['partition list']);
  expect(Date.parse(transcript[0].at)).toBeGreaterThan(Date.parse(final.steps[0].startedAt!) - 1);
  expect(transcript[0].ms).toBeGreaterThanOrEqual(0);

  expect(checkInvariants(events)).toEqual([]);
  const report = reportModel(events);
  expect(
    report.steps.filter((s) => s.id !== 'approve').map((s) => [s.id, s.status, s.commands.map((c) => c.command)]),
  ).toEqual([
    ['show', 'check holds', ['hsm show']],
    ['create', expect.stringMatching(/^applied/), expect.arrayContaining([expect.stringMatching(/^partition create/)])],
    ['present', 'check holds', ['partition list']],
    ['show-again', 'check holds', ['hsm show']],
  ]);
  const facts = await closedCeremonyFacts(history);
  expect(facts.operations.map((o) => [o.operation, o.outcome]).sort()).toEqual([
    ['hsm.show', 'completed'],
    ['hsm.show', 'completed'],
    ['partition.create', 'completed'],
    ['partition.present', 'completed'],
  ]);

  // the replay with the current code and every invariant, from an exported file
  const dir = mkdtempSync(join(tmpdir(), 'local-reads-'));
  await exportCeremony(local.ceremonies, id, join(dir, `${id}.json`), { server: 'test' });
  const [verdict] = await verifyHistories([dir], { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE });
  expect(verdict).toMatchObject({ ok: true, replayed: true, violations: [] });
});

test('with WORKER_LOCAL_READS=false every step is an activity, and the audit reads it the same', async () => {
  withoutLedgerPartition();
  const { events, history } = await runCeremony(remote);
  const runs = events.filter((e) => e.activity && e.activity.type !== 'notify' && e.activity.type !== 'ticketComment');
  expect(runs.map((e) => [e.activity!.type, Boolean(e.activity!.local)])).toEqual([
    ['checkPolicy', true],
    ['hsm.show', false],
    ['partition.create', false],
    ['partition.present', false],
    ['hsm.show', false],
  ]);
  expect(
    history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'partition.present'),
  ).toHaveLength(1);
  expect(checkInvariants(events)).toEqual([]);
});
