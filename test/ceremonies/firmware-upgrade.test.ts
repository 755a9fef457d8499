import { createHash } from 'node:crypto';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finishReboot } from '../../simulator/appliance-server';
import { result, waitForStatus } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly, MICROSOFT, SUPPORT } from '../support/simulated-hsm';

const file = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(2000));
const params = {
  file,
  sha256: createHash('sha256').update(content).digest('hex'),
  authCode: 'Rd79MAGdG9EY5',
  targetFirmware: '7.8.4',
  partitions: 'payments',
  rebootWaitSeconds: '2',
};

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('firmware');
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 12 }]);
  mkdirSync(join(env.sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(env.sim.dir, 'packages', file), content);
});
afterAll(async () => {
  await env?.close();
});

test('firmware-upgrade: Microsoft sign-off, quorum, fresh backup (child ceremony), upload, upgrade; a hung reboot raises a support request and waits for the physical reboot', async () => {
  const { sim, h } = env;
  sim.appliance.faults.write({ rebootHangs: true, rebootMs: 200 });
  const id = await env.start('firmware-upgrade', params);

  const stuck = await driveGates(h.ceremonies, id, { signoffReference: 'Microsoft case 2611290010001234' });
  expect(stuck.phase).toBe('needs-intervention');
  expect(stuck.currentStep).toBe('reboot');
  expect(stuck.steps.find((s) => s.id === 'reboot')?.error).toMatch(/^RebootHung: appliance.reboot on hsm-sim-1: hsm-sim-1 did not come back within 2 s of the reboot/);
  expect(stuck.decisions.map((d) => [d.gate, d.decision, d.actor])).toEqual([
    ['signoff', 'signoff', MICROSOFT],
    ['approve', 'approve', 'alice@example.com'],
    ['approve', 'approve', 'bob@example.com'],
  ]);
  const support = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'support-request');
  expect(support).toMatchObject({ to: [SUPPORT], subject: expect.stringContaining('Physical reboot needed: hsm-sim-1 did not come back') });
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([[ceremonyBackupLabel('hsm-sim-1', 'payments', `${id}-backup-1`), 12]]);
  expect(sim.appliance.state.read()).toMatchObject({ firmware: '7.0.3', pendingUpdate: { firmware: '7.8.4' }, reboot: { until: null } });

  finishReboot(sim.appliance.state); // the data-centre technician's physical reboot
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'Microsoft confirmed the physical reboot' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'reboot')?.evidence?.outcome).toBe('already-present');
  expect(sim.appliance.state.read().firmware).toBe('7.8.4');
  expect(sim.appliance.state.read().audit.filter((a) => a.command === 'sysconf appliance reboot' && a.result === 0)).toHaveLength(1);
  const child = await h.ceremonies.status(`${id}-backup-1`);
  expect(child).toMatchObject({ kind: 'backup', phase: 'completed' });
  await env.expectNoSecretsInHistory(id);
});

test('firmware-upgrade on an HSM already on the target firmware has nothing to do, and says so', async () => {
  const { h } = env;
  const id = await env.start('firmware-upgrade', params);
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps[0].evidence).toMatchObject({ outcome: 'present', probe: { firmware: '7.8.4', targetFirmware: '7.8.4' } });
  expect(final.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
  expect((await h.ceremonies.timeline(id)).some((e) => e.type === 'nothing-to-do')).toBe(true);
  await waitForStatus(h.ceremonies, id, (s) => s.decisions.length === 0);
});
