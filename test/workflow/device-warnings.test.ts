import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { OperationName } from '../../ceremonies/operations';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportMarkdown } from '../../audit/verifier/report';
import { formatStatus, formatTimeline } from '../../cli/format';
import { gate, result, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// A unit that prints a `Warning:` line before its answers (a low battery, the clock): the
// ceremony goes on as the answers say, and the warning is on each step's evidence, on the
// timeline (device-warning), in `ceremony status` and in the audit report.

let sim: SimulatedHsm;
let h: Harness;
beforeAll(async () => {
  sim = await startSimulatedHsm('hsm-sim-1');
  Object.assign(process.env, SECRETS);
  h = await startHarness('device-warnings', { inventoryPath: sim.inventoryPath });
});
afterAll(async () => {
  await h?.stop();
  await sim?.close();
});

const device = (id: string, op: OperationName, args: Record<string, string | number> = {}) =>
  ({ id, type: 'device', title: op, hsm: 'hsm-sim-1', op, args }) as const;

const BATTERY = 'Warning: The HSM battery voltage is low. Replace the battery.';
const CLOCK = 'Warning: The HSM clock differs from the appliance clock by more than 60 seconds.';

test('warnings before hsm show, partition list and partition create: the steps succeed and the warnings show wherever the steps do', async () => {
  initialiseDirectly(sim, [{ name: 'payments', objects: 3 }]);
  sim.appliance.faults.write({
    warnBefore: [{ match: 'hsm show' }, { match: 'partition list' }, { match: 'partition create', line: CLOCK }],
  });
  const plan = testPlan(
    [gate(), device('show', 'hsm.show'), device('partition', 'partition.create', { partition: 'tokens' })],
    { hsm: 'hsm-sim-1' },
  );
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: 'alice@example.com', planDigest: open.planDigest });
  await h.ceremonies.approve(id, { gate: 'approve', approver: 'bob@example.com', planDigest: open.planDigest });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments', 'tokens']);

  // the step's evidence
  const show = final.steps.find((s) => s.id === 'show')!;
  expect(show.evidence).toMatchObject({
    outcome: 'checked',
    warnings: [{ device: 'hsm-sim-1', command: 'hsm show', line: BATTERY }],
  });
  const partition = final.steps.find((s) => s.id === 'partition')!;
  expect(partition.evidence?.outcome).toBe('applied');
  expect(partition.evidence?.warnings).toContainEqual({
    device: 'hsm-sim-1',
    command: 'partition create -partition tokens',
    line: CLOCK,
  });

  // the timeline: one event per distinct warning of a step, naming the commands it came with (the
  // partition step reads hsm show too: the SO login attempts left, before its hsm login)
  const warnings = final.timeline.filter((e) => e.type === 'device-warning');
  expect(warnings.map((e) => [e.step, e.actor, e.detail])).toEqual([
    ['show', 'hsm-sim-1', `${BATTERY} (printed with: hsm show)`],
    ['partition', 'hsm-sim-1', `${BATTERY} (printed with: partition list, hsm show)`],
    ['partition', 'hsm-sim-1', `${CLOCK} (printed with: partition create -partition tokens)`],
  ]);
  // each follows its step's success
  const seqOf = (type: string, step: string) => final.timeline.find((e) => e.type === type && e.step === step)!.seq;
  expect(warnings[0].seq).toBeGreaterThan(seqOf('step-succeeded', 'show'));
  expect(formatTimeline(await h.ceremonies.timeline(id))).toContain(
    `device-warning       hsm-sim-1                [partition] ${CLOCK}`,
  );

  // ceremony status
  const status = formatStatus(await h.ceremonies.status(id));
  expect(status).toContain(`        device warning: hsm-sim-1: ${BATTERY}`);
  expect(status).toContain(`        device warning: hsm-sim-1: ${CLOCK}`);

  // the audit report
  const events = await auditEvents(
    parseHistoryJson(JSON.parse(historyToJSON(await h.ceremonies.handle(id).fetchHistory()))),
  );
  const report = reportMarkdown(events);
  const partitionSection = report.slice(report.indexOf('partition.create'));
  expect(partitionSection).toContain(`- **Device warnings:**\n  - hsm-sim-1: ${BATTERY}\n  - hsm-sim-1: ${CLOCK}`);
});
