import { keyVaultSettings } from '../../activities/azure/key-vault';
import {
  resolveSecret,
  SecretNotStored,
  SecretUnavailable,
  storeSecret,
  trySecret,
  type SecretSources,
} from '../../activities/device/secrets';
import { loadConfig } from '../../runtime/config';
import { startAzureKeyVault, type AzureKeyVault } from '../../simulator/azure-key-vault';
import { deviceOps, stepFailure } from '../support/device-ops';
import { startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// `keyvault:` secret references through the real SDK (@azure/keyvault-secrets, @azure/identity's
// default credential) against the Key Vault stand-in over HTTPS: its challenge, its token endpoint,
// its answers (404, 403, 429).

let kv: AzureKeyVault;
let sources: SecretSources;
beforeAll(async () => {
  kv = await startAzureKeyVault();
  Object.assign(process.env, kv.env); // @azure/identity reads its managed identity from here
  sources = { keyVault: keyVaultSettings(loadConfig(kv.env)) };
});
afterAll(async () => {
  await kv?.close();
});

const VALUE = 'Key-Vault-Secret-8d2f61';

test('read: the SDK answers the challenge with a token from the managed identity, then reads the latest version', async () => {
  kv.set('hsm-kv', 'tenantadmin', 'an-older-version');
  kv.set('hsm-kv', 'tenantadmin', VALUE);
  const from = kv.requests.length;
  expect(await resolveSecret('keyvault:hsm-kv/tenantadmin', sources)).toBe(VALUE);
  const requests = kv.requests.slice(from);
  expect(requests[0]).toMatchObject({ method: 'GET', vault: 'hsm-kv', bearer: false, status: 401 });
  expect(requests.at(-1)).toMatchObject({
    method: 'GET',
    vault: 'hsm-kv',
    path: '/hsm-kv/secrets/tenantadmin/',
    bearer: true,
    status: 200,
  });
  expect(requests.at(-1)?.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}|^7\.\d/);
});

test('write: a generated password is stored as a new version, and read back', async () => {
  kv.set('hsm-kv', 'hsm-so', 'the-first-version');
  await storeSecret('keyvault:hsm-kv/hsm-so', VALUE, sources);
  expect(
    kv.vaults
      .get('hsm-kv')
      ?.get('hsm-so')
      ?.map((v) => v.value),
  ).toEqual(['the-first-version', VALUE]);
  expect(await resolveSecret('keyvault:hsm-kv/hsm-so', sources)).toBe(VALUE);
  expect(kv.requests.filter((r) => r.method === 'PUT').at(-1)).toMatchObject({
    path: '/hsm-kv/secrets/hsm-so',
    bearer: true,
    status: 200,
  });
});

test('a missing secret: nothing stored (trySecret gives undefined), and a read names the reference', async () => {
  const err = await resolveSecret('keyvault:hsm-kv/no-such-secret', sources).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SecretNotStored);
  expect((err as Error).message).toBe('secret keyvault:hsm-kv/no-such-secret is not in the vault (SecretNotFound)');
  expect(await trySecret('keyvault:hsm-kv/no-such-secret', sources)).toBeUndefined();
});

test('a forbidden vault: a clear error for reads and writes, never taken for "nothing stored"', async () => {
  kv.forbidden.add('locked-kv');
  kv.set('locked-kv', 'tenantadmin', VALUE);
  const read = await trySecret('keyvault:locked-kv/tenantadmin', sources).catch((e: unknown) => e);
  expect(read).toBeInstanceOf(SecretUnavailable);
  expect(read).not.toBeInstanceOf(SecretNotStored);
  expect((read as Error).message).toBe(
    "secret keyvault:locked-kv/tenantadmin cannot be read: the vault refuses the worker's identity (403 Forbidden); grant it get on the vault's secrets",
  );
  const write = await storeSecret('keyvault:locked-kv/tenantadmin', 'another', sources).catch((e: unknown) => e);
  expect((write as Error).message).toBe(
    "secret keyvault:locked-kv/tenantadmin cannot be stored: the vault refuses the worker's identity (403 Forbidden); grant it set on the vault's secrets",
  );
  expect(kv.get('locked-kv', 'tenantadmin')).toBe(VALUE);
});

test('a throttled answer (429, Retry-After) is retried by the SDK and the read succeeds', async () => {
  kv.set('hsm-kv', 'audit', VALUE);
  kv.throttleNext = 1;
  const from = kv.requests.length;
  expect(await resolveSecret('keyvault:hsm-kv/audit', sources)).toBe(VALUE);
  expect(kv.requests.slice(from).map((r) => r.status)).toEqual([429, 200]);
});

describe('hsm.changeInitialPassword with the tenantadmin password in Key Vault', () => {
  let sim: SimulatedHsm;
  beforeEach(async () => {
    sim = await startSimulatedHsm('hsm-sim-1', { tenantadminRef: 'keyvault:hsm-kv/hsm-sim-1-tenantadmin' });
  });
  afterEach(async () => {
    await sim.close();
  });

  test('the generated password is stored in the vault and the next login uses it', async () => {
    const op = deviceOps(sim, { keyVault: sources.keyVault });
    expect(await op('hsm.changeInitialPassword', { user: 'tenantadmin' })).toMatchObject({ outcome: 'applied' });
    const generated = kv.get('hsm-kv', 'hsm-sim-1-tenantadmin');
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}Aa1-$/);
    expect(sim.appliance.state.read().users.tenantadmin).toMatchObject({
      password: generated,
      mustChangePassword: false,
    });
    // the next steps log in with it, read from the vault
    expect(await op('hsm.show')).toMatchObject({ outcome: 'checked' });
    expect(await op('hsm.changeInitialPassword', { user: 'tenantadmin' })).toMatchObject({
      outcome: 'already-present',
    });
    expect(kv.vaults.get('hsm-kv')?.get('hsm-sim-1-tenantadmin')).toHaveLength(1);
  });

  test('a vault that refuses the worker stops the step before the appliance is touched, naming the reference', async () => {
    kv.forbidden.add('hsm-kv');
    try {
      const f = await stepFailure(
        deviceOps(sim, { keyVault: sources.keyVault })('hsm.changeInitialPassword', { user: 'tenantadmin' }),
      );
      expect(f).toMatchObject({ type: 'SecretUnavailable', nonRetryable: true });
      expect(f.message).toBe(
        "hsm.changeInitialPassword on hsm-sim-1: secret keyvault:hsm-kv/hsm-sim-1-tenantadmin cannot be read: the vault refuses the worker's identity (403 Forbidden); grant it get on the vault's secrets",
      );
      expect(sim.appliance.state.read().users.tenantadmin.mustChangePassword).toBe(true);
    } finally {
      kv.forbidden.delete('hsm-kv');
    }
  });
});
