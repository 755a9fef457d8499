import { driveGates } from '../support/drive';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { startAzureKeyVault, type AzureKeyVault } from '../../simulator/azure-key-vault';

// A worker in Azure keeps no secret on disk: hsm-init with the tenantadmin password in Key Vault
// (the stand-in, through the real SDK), generated into it at the first login and read from it
// by every later step; no value reaches the history.

let env: CeremonyEnv;
let kv: AzureKeyVault;
beforeAll(async () => {
  kv = await startAzureKeyVault();
  env = await startCeremonyEnv('kvinit', { tenantadminRef: 'keyvault:hsm-kv/hsm-sim-1-tenantadmin' }, kv.env);
});
afterAll(async () => {
  await env?.close();
  await kv?.close();
});

test('hsm-init generates the tenantadmin password into Key Vault, logs in with it from there, and no value reaches the history', async () => {
  const { sim, h } = env;
  const id = await env.start('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'first-login')?.evidence?.outcome).toBe('applied');

  const versions = kv.vaults.get('hsm-kv')?.get('hsm-sim-1-tenantadmin') ?? [];
  expect(versions).toHaveLength(1);
  const generated = versions[0].value;
  expect(sim.appliance.state.read().users.tenantadmin).toMatchObject({
    password: generated,
    mustChangePassword: false,
  });
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: false, label: 'HSM1' });
  // the steps after the first login read it from the vault (a GET that found it)
  expect(kv.requests.filter((r) => r.method === 'GET' && r.status === 200).length).toBeGreaterThan(1);
  await env.expectNoSecretsInHistory(id, [generated]);
});
