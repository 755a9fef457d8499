import { readFileSync } from 'node:fs';
import { result, waitForStatus } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('hsminit', { generatedTenantadminPassword: true });
});
afterAll(async () => {
  await env?.close();
});

test('hsm-init: first login with a generated password kept in the secret store, init, policy, syslog, verified; a lunash error is retried after an intervention', async () => {
  const { sim, h } = env;
  sim.appliance.faults.write({ commandErrors: [{ match: 'hsm init', code: 'C0000001', name: 'RC_GENERAL_ERROR', times: 1 }] });
  const id = await env.start('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9', policies: '15=1' });

  const failed = await driveGates(h.ceremonies, id);
  expect(failed.phase).toBe('needs-intervention');
  expect(failed.steps.find((s) => s.id === 'init')?.error).toContain("LunaCommandError: hsm.init on hsm-sim-1: 'hsm init -label HSM1' failed: Error:  'hsm init' failed. (C0000001 : RC_GENERAL_ERROR)");
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'transient appliance error, retrying' });

  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => [s.id, s.status])).toEqual([
    ['approve', 'succeeded'],
    ['first-login', 'succeeded'],
    ['check-zeroized', 'succeeded'],
    ['init', 'succeeded'],
    ['policy-15', 'succeeded'],
    ['syslog', 'succeeded'],
    ['verify', 'succeeded'],
  ]);
  const generated = readFileSync(sim.tenantadminSecretFile, 'utf8').trim();
  const state = sim.appliance.state.read();
  expect(state.users.tenantadmin).toMatchObject({ password: generated, mustChangePassword: false });
  expect(state).toMatchObject({ zeroized: false, label: 'HSM1', policies: { 15: '1' }, syslogHosts: [{ host: '10.0.0.9', port: 514, protocol: 'udp' }] });
  await env.expectNoSecretsInHistory(id, [generated]);
});

test('hsm-init refuses an initialised HSM unless re-initialisation is requested, which adds a second gate and a zeroize', async () => {
  const { sim, h } = env;
  const refused = await env.start('hsm-init', { label: 'HSM2' });
  const stopped = await driveGates(h.ceremonies, refused);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps.find((s) => s.id === 'check-zeroized')?.error).toBe(
    'CheckFailed: hsm.checkZeroized: the HSM is already initialised (label "HSM1", 0 partitions); request a re-initialisation (reinit=true) to zeroize it first',
  );
  await h.ceremonies.resolve(refused, { action: 'abort', by: OPERATOR, reason: 'wrong HSM' });
  expect((await result(h.ceremonies, refused)).phase).toBe('aborted');
  expect(sim.appliance.state.read().label).toBe('HSM1');

  const reinit = await env.start('hsm-init', { label: 'HSM2', reinit: 'true' });
  const { plan } = await h.ceremonies.plan(reinit);
  expect(plan.steps.filter((s) => s.type === 'approval').map((s) => s.id)).toEqual(['approve', 'approve-reinit']);
  const final = await driveGates(h.ceremonies, reinit);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'first-login')?.evidence?.outcome).toBe('already-present');
  expect(sim.appliance.state.read()).toMatchObject({ label: 'HSM2', zeroized: false });
  await waitForStatus(h.ceremonies, reinit, (s) => s.phase === 'completed');
});
