import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly } from '../support/simulated-hsm';

// The interlock before `hsm login`, in a ceremony: a step that would type the HSM SO password
// when `hsm show` says one failure more zeroizes the HSM stops for an operator, says why and what
// to do, and is never retried on its own.

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('interlock');
  initialiseDirectly(env.sim);
});
afterAll(async () => {
  await env?.close();
});

test('one HSM SO login attempt left: the create step stops for an operator without typing the password, says why, and runs once the counter is reset', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => void (s.hsmSoLoginAttemptsLeft = 1));
  const id = await env.start('partition-create', {
    partition: 'payments',
    client: 'app01',
    clientHost: 'app01.example.com',
  });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  const create = stopped.steps.find((s) => s.id === 'create')!;
  expect(create).toMatchObject({ status: 'failed', attempts: 1 }); // not retried by Temporal
  expect(create.error).toContain(
    'HsmLoginRefused: partition.create on hsm-sim-1: the HSM SO password was not typed on hsm-sim-1: hsm show says 1 HSM SO login attempt left before zeroization',
  );
  expect(create.error).toContain(
    'log in by hand (hsm login) with the right password to reset the counter, then retry the step',
  );
  const alert = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'needs-intervention');
  expect(alert?.body).toContain('one more failed login zeroizes the HSM');
  expect(sim.appliance.state.read().audit.map((a) => a.command)).not.toContain('hsm login');
  expect(sim.appliance.state.read()).toMatchObject({ hsmSoLoginAttemptsLeft: 1, zeroized: false, partitions: [] });

  // the operator logs in by hand with the right password (the counter is back to 3), then retries
  sim.appliance.state.update((s) => void (s.hsmSoLoginAttemptsLeft = 3));
  await h.ceremonies.resolve(id, {
    action: 'retry',
    by: OPERATOR,
    reason: 'logged in by hand as HSM SO: counter reset',
  });
  const final = await driveGates(h.ceremonies, id, { signoffReference: 'roles initialised by the owner' });
  expect(final.phase).toBe('completed');
  expect(sim.appliance.state.read().audit.filter((a) => a.command === 'hsm login')).toHaveLength(1);
  expect((await result(h.ceremonies, id)).steps.find((s) => s.id === 'create')).toMatchObject({
    status: 'succeeded',
    attempts: 2,
  });
  await env.expectNoSecretsInHistory(id);
});
