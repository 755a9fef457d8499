import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly } from '../support/simulated-hsm';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('partition');
  initialiseDirectly(env.sim);
});
afterAll(async () => {
  await env?.close();
});

test('partition-create: licence check, gate, create, assign the client, verify, roles recorded by the partition owner', async () => {
  const { sim, h } = env;
  const id = await env.start('partition-create', { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' });
  const final = await driveGates(h.ceremonies, id, { signoffReference: 'PO/CO/CU initialised 2026-11-29 by ops' });
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => s.id)).toEqual(['licence', 'approve', 'create', 'assign', 'verify', 'roles']);
  expect(final.steps[0].evidence).toMatchObject({ outcome: 'checked', probe: { licensed: 10, created: 0, adding: 1 } });
  expect(final.decisions.find((d) => d.gate === 'roles')).toMatchObject({ decision: 'signoff', actor: OPERATOR, reference: 'PO/CO/CU initialised 2026-11-29 by ops' });
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments']);
  expect(sim.appliance.state.read().clients).toEqual([{ name: 'app01', host: 'app01.example.com', partitions: ['payments'] }]);
  await env.expectNoSecretsInHistory(id);
});

test('partition-create stops before any gate when the licence is used up, naming the limit', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => {
    s.licence.licensedPartitions = 1;
  });
  const id = await env.start('partition-create', { partition: 'tokens', client: 'app02', clientHost: 'app02.example.com' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps[0].error).toBe(
    'CheckFailed: partition.checkLicence: the HSM is licensed for 1 partitions (at most 100 with licence upgrades) and has 1: it cannot take 1 more',
  );
  expect(stopped.decisions).toEqual([]);
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'licence upgrade first' });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments']);
});
