import { backupLabel } from '../../activities/ops/backup';
import { cli } from '../support/cli';
import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly } from '../support/simulated-hsm';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('backup');
  initialiseDirectly(env.sim, [
    { name: 'payments', objects: 42 },
    { name: 'tokens', objects: 7 },
  ]);
});
afterAll(async () => {
  await env?.close();
});

test('backup: with the VPN down the ceremony waits for an operator; once it is back, every partition is backed up under the ceremony id and verified', async () => {
  const { sim, h } = env;
  sim.backup.faults.write({ unreachable: true });
  const id = await env.start('backup', { partitions: 'payments,tokens' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps[0].error).toBe(`CheckFailed: vpn.check: VPN path to 127.0.0.1:${sim.backup.port} down (connection closed)`);
  expect(stopped.decisions).toEqual([]);

  sim.backup.faults.write({ unreachable: false });
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'VPN gateway restarted' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.sourcePartition, b.objects])).toEqual([
    [`${id}-payments`, 'payments', 42],
    [`${id}-tokens`, 'tokens', 7],
  ]);
  expect(final.steps.filter((s) => s.id.startsWith('verify-')).map((s) => s.evidence?.probe)).toEqual([
    { sourceObjects: 42, backupObjects: 42, label: `${id}-payments` },
    { sourceObjects: 7, backupObjects: 7, label: `${id}-tokens` },
  ]);
  await env.expectNoSecretsInHistory(id);
});

test('backup under a standing pre-approval runs without a gate and records the approval it relied on', async () => {
  const { sim, h } = env;
  const id = await env.start('backup', { partitions: 'payments', standingApproval: 'nightly-backup' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions).toEqual([]);
  expect(final.steps.find((s) => s.id === 'standing-approval')?.evidence?.probe).toMatchObject({
    id: 'nightly-backup',
    approvedBy: ['alice@example.com', 'bob@example.com'],
    reference: 'CAB-2026-114',
    problems: [],
  });
  expect(sim.backup.state.read().backups.map((b) => b.label)).toContain(`${id}-payments`);
});

describe('backup schedules from the CLI', () => {

  beforeAll(() => {
    process.env.TEMPORAL_ADDRESS = env.h.config.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = env.h.config.TEMPORAL_TASK_QUEUE;
    process.env.CEREMONY_INVENTORY = env.sim.inventoryPath;
  });

  test('create, list, trigger a run (a standing-approved backup ceremony), pause, refuse bad input, delete', async () => {
    const { sim, h } = env;
    const bad = await cli('schedule', 'backup', '--hsm', 'hsm-sim-1', '--partitions', 'payments', '--every', 'often', '--requester', 'dave@example.com');
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toContain('every: expected a duration such as "24h" or "7d", got "often"');

    const created = await cli('--json', 'schedule', 'backup', '--hsm', 'hsm-sim-1', '--partitions', 'payments', '--every', '24h', '--requester', 'dave@example.com', '--standing-approval', 'nightly-backup');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ scheduleId: 'backup-hsm-sim-1' });
    const twice = await cli('schedule', 'backup', '--hsm', 'hsm-sim-1', '--partitions', 'payments', '--every', '24h', '--requester', 'dave@example.com');
    expect(twice.err).toContain('a backup schedule for hsm-sim-1 already exists');

    expect((await cli('schedule', 'trigger', 'backup-hsm-sim-1')).code).toBe(0);
    let runs: { ceremonyId: string }[] = [];
    for (let i = 0; i < 300 && runs.length === 0; i++) {
      runs = JSON.parse((await cli('--json', 'schedule', 'show', 'backup-hsm-sim-1')).out).recentRuns;
      if (runs.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const run = await result(h.ceremonies, runs[0].ceremonyId);
    expect(run).toMatchObject({ kind: 'backup', phase: 'completed', ticket: 'schedule:backup-hsm-sim-1' });
    expect(sim.backup.state.read().backups.map((b) => b.label)).toContain(backupLabel(runs[0].ceremonyId, 'payments'));

    expect((await cli('schedule', 'pause', 'backup-hsm-sim-1', '--reason', 'maintenance window')).out).toBe('backup-hsm-sim-1 paused');
    // the schedule list comes from visibility, which catches up a moment later
    let listed: { scheduleId: string; paused: boolean }[] = [];
    for (let i = 0; i < 100 && !listed.some((s) => s.scheduleId === 'backup-hsm-sim-1' && s.paused); i++) {
      listed = JSON.parse((await cli('--json', 'schedule', 'list')).out);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.find((s) => s.scheduleId === 'backup-hsm-sim-1')).toMatchObject({ paused: true, every: '24h', hsm: 'hsm-sim-1' });
    expect((await cli('schedule', 'delete', 'backup-hsm-sim-1')).code).toBe(0);
    expect((await cli('schedule', 'show', 'backup-hsm-sim-1')).err).toBe('refused: no schedule backup-hsm-sim-1');
  });
});
