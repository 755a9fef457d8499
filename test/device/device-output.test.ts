import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { deviceOps, stepFailure as failure } from '../support/device-ops';
import { initialiseDirectly, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// A real unit's extra lines, on the simulator over SSH, through the operations: a `Warning:` line
// before the answers of lunash and LunaCM is read past and recorded on the step's evidence; a
// question none of the operation's answers fits stops the step, and nothing is typed.

let sim: SimulatedHsm;
let op: (name: OperationName, args?: OperationInput['args']) => Promise<OperationEvidence>;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  op = deviceOps(sim);
  initialiseDirectly(sim, [{ name: 'payments', objects: 3, assignedToBackup: true }]);
});
afterEach(async () => {
  await sim.close();
});

const BATTERY = 'Warning: The HSM battery voltage is low. Replace the battery.';
const CLOCK = 'Warning: The HSM clock differs from the appliance clock by more than 60 seconds.';

test('a warning before hsm show, partition list and partition create: the partition is created, and the step says what was warned', async () => {
  sim.appliance.faults.write({
    warnBefore: [{ match: 'hsm show' }, { match: 'partition list' }, { match: 'partition create', line: CLOCK }],
  });
  const evidence = await op('partition.create', { partition: 'tokens' });
  expect(evidence.outcome).toBe('applied');
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments', 'tokens']);
  expect(evidence.warnings).toEqual(
    expect.arrayContaining([
      { device: 'hsm-sim-1', command: 'partition list', line: BATTERY },
      { device: 'hsm-sim-1', command: 'partition create -partition tokens', line: CLOCK },
    ]),
  );
  // each transcript entry keeps its warning beside the whole output
  const create = evidence.transcript?.find((t) => t.command.startsWith('partition create'));
  expect(create).toMatchObject({ code: 0, warnings: [CLOCK] });
  expect(create?.output.split('\n')[0]).toBe(CLOCK);
});

test("a warning before LunaCM's answers: the backup is made and the warnings name the workstation", async () => {
  sim.backup.faults.write({ warnBefore: [{ match: 'slot list' }, { match: 'partition archive backup' }] });
  const evidence = await op('backup.partition', { partition: 'payments', label: 'c-1-payments' });
  expect(evidence.outcome).toBe('applied');
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([['c-1-payments', 3]]);
  expect(evidence.warnings?.filter((w) => w.command.startsWith('partition archive backup'))).toEqual([
    { device: 'onprem-backup', command: 'partition archive backup -slot 0 -partition c-1-payments', line: BATTERY },
  ]);
});

test('a failed step keeps the warnings of the answers it read', async () => {
  sim.appliance.faults.write({
    warnBefore: [{ match: 'partition list' }],
    garbleOutput: [
      { match: 'partition list', with: 'Partition    Name\r\n=========    ====\r\n1500000000001    payments    ??' },
    ],
  });
  const f = await failure(op('partition.create', { partition: 'tokens' }));
  expect(f.type).toBe('UnreadableOutput');
  expect((f.details?.[0] as { warnings?: unknown }).warnings).toEqual([
    { device: 'hsm-sim-1', command: 'partition list', line: BATTERY },
  ]);
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments']);
});

test('a warning before an error: the step fails on the error, and its evidence keeps the warning', async () => {
  sim.appliance.faults.write({
    warnBefore: [{ match: 'partition create' }],
    commandErrors: [{ match: 'partition create', code: 'C0000001', name: 'RC_GENERAL_ERROR' }],
  });
  const f = await failure(op('partition.create', { partition: 'tokens' }));
  expect(f.type).toBe('LunaCommandError');
  expect((f.details?.[0] as { warnings?: unknown }).warnings).toEqual([
    { device: 'hsm-sim-1', command: 'partition create -partition tokens', line: BATTERY },
  ]);
});

test('a password question after a line naming another role stops the backup: nothing is typed, no backup is made', async () => {
  sim.backup.faults.write({
    askFirst: [
      {
        match: 'partition archive backup',
        leadIn: 'Logging in as the Crypto Officer on slot 0.',
        question: 'enter password: ',
      },
    ],
  });
  const auditBefore = sim.backup.state.read().audit.length;
  const f = await failure(op('backup.partition', { partition: 'payments', label: 'c-1-payments' }));
  expect(f.type).toBe('UnansweredPrompt');
  expect(f.message).toContain(
    'asked "enter password:" (after "Logging in as the Crypto Officer on slot 0."), which the operation does not answer; nothing was typed',
  );
  const sent = sim.backup.state
    .read()
    .audit.slice(auditBefore)
    .map((a) => a.command);
  // the reads and the CO's login ran; the question got no answer and the backup never ran
  expect(sent.filter((c) => !/^(?:slot list|partition archive list)\b/.test(c))).toEqual([
    'slot set -slot 1',
    'role show -name co',
    'role login -name co',
  ]);
  expect(sim.backup.state.read().backups).toEqual([]);
});
