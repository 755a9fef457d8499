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
