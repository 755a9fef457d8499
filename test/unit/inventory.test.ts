import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory, parseInventory } from '../../ceremonies/inventory';
import { ValidationError } from '../../ceremonies/validation';
import { loadConfig } from '../../runtime/config';

const good = `
hsms:
  hsm-a:
    host: 10.0.0.5
    hostKeyFingerprint: "SHA256:2m7V9nqYl1mVt1f0m6cQyY0x3fWQ7s3S1o7V2q2kqJw"
    credentials:
      tenantadmin: env:HSM_A_PASSWORD
approverGroups:
  security-officers:
    members: [Alice@Example.com, bob@example.com]
policy:
  reversible: none
  irreversible: { quorum: 2, groups: [security-officers] }
  key-material: { quorum: 2, groups: [security-officers] }
operators: [ops@example.com]
`;

function problems(text: string): string[] {
  try {
    parseInventory(text, 'inv.yaml');
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

test('a good inventory parses, with defaults and lower-cased emails', () => {
  const inv = parseInventory(good);
  expect(inv.hsms['hsm-a']).toMatchObject({ port: 22, credentials: { tenantadmin: 'env:HSM_A_PASSWORD' } });
  expect(inv.approverGroups['security-officers'].members).toEqual(['alice@example.com', 'bob@example.com']);
});

test.each([
  ['port: "22x"', good.replace('host: 10.0.0.5', 'host: 10.0.0.5\n    port: "22x"'), /^hsms\.hsm-a\.port: /],
  [
    'a plain password instead of a reference',
    good.replace('env:HSM_A_PASSWORD', 'hunter2'),
    /^hsms\.hsm-a\.credentials\.tenantadmin: expected a secret reference/,
  ],
  [
    'a malformed fingerprint',
    good.replace('SHA256:2m7V9nqYl1mVt1f0m6cQyY0x3fWQ7s3S1o7V2q2kqJw', 'md5:aa:bb'),
    /^hsms\.hsm-a\.hostKeyFingerprint: expected an OpenSSH SHA256/,
  ],
  [
    'a bad approver email',
    good.replace('Alice@Example.com', 'alice'),
    /^approverGroups\.security-officers\.members\[0\]: expected an email/,
  ],
  ['an unknown top-level key', `${good}\nextra: 1\n`, /^\(root\): Unrecognized key: "extra"/],
  ['a missing operators list', good.replace('operators: [ops@example.com]', ''), /^operators: /],
])('%s is refused with the field named', (_name, text, pattern) => {
  expect(problems(text)[0]).toMatch(pattern);
});

test.each([
  'keyvault:hsm-kv/tenantadmin',
  'keyvault:abc/a',
  'keyvault:Kv-prod-weu-01-secrets00/HSM-weu-1-tenantadmin',
  `keyvault:kv1/${'s'.repeat(127)}`,
])('a Key Vault reference %s is accepted', (ref) => {
  expect(parseInventory(good.replace('env:HSM_A_PASSWORD', ref)).hsms['hsm-a'].credentials.tenantadmin).toBe(ref);
});

test.each([
  ['a vault name of 2 characters', 'keyvault:kv/tenantadmin'],
  ['a vault name of 25 characters', `keyvault:k${'v'.repeat(24)}/tenantadmin`],
  ['a vault name starting with a digit', 'keyvault:1kv/tenantadmin'],
  ['a vault name ending with a hyphen', 'keyvault:hsm-kv-/tenantadmin'],
  ['two hyphens in a vault name', 'keyvault:hsm--kv/tenantadmin'],
  ['an underscore in a vault name', 'keyvault:hsm_kv/tenantadmin'],
  ['no secret name', 'keyvault:hsm-kv/'],
  ['a secret name of 128 characters', `keyvault:hsm-kv/${'s'.repeat(128)}`],
  ['a dot in a secret name', 'keyvault:hsm-kv/tenant.admin'],
  ['a version after the name', 'keyvault:hsm-kv/tenantadmin/0123456789abcdef'],
  ['a vault URL', 'keyvault:https://hsm-kv.vault.azure.net/secrets/tenantadmin'],
])('a Key Vault reference with %s is refused, naming the rule', (_name, ref) => {
  expect(problems(good.replace('env:HSM_A_PASSWORD', ref))[0]).toMatch(
    /^hsms\.hsm-a\.credentials\.tenantadmin: expected a secret reference "env:NAME", "file:\/absolute\/path" or "keyvault:<vault>\/<secret>" \(vault: 3-24/,
  );
});

test('broken YAML and a missing file say so', () => {
  expect(problems('hsms: [unclosed')[0]).toMatch(/^not valid YAML/);
  expect(() => loadInventory('/nonexistent/inventory.yaml')).toThrow(/cannot read the inventory file: ENOENT/);
});

test('worker config from the environment: defaults and named errors', () => {
  expect(loadConfig({})).toMatchObject({
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'hsm-ceremonies',
  });
  expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/x.pem' })).toThrow(
    /TEMPORAL_TLS_KEY: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/,
  );
  expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: /);
});

test("a partition's Crypto Officer and the HSM's NTLS endpoint: references and names checked, the NTLS port 1792 by default", () => {
  const withBackup = good.replace(
    '      tenantadmin: env:HSM_A_PASSWORD',
    '      tenantadmin: env:HSM_A_PASSWORD\n    partitionCredentials:\n      payments: { co: env:HSM_A_PAYMENTS_CO }',
  );
  const inv = parseInventory(withBackup);
  expect(inv.hsms['hsm-a'].ntls).toEqual({ port: 1792 });
  expect(inv.hsms['hsm-a'].partitionCredentials?.payments).toEqual({ co: 'env:HSM_A_PAYMENTS_CO' });
  expect(problems(withBackup.replace('env:HSM_A_PAYMENTS_CO', 'hunter2'))[0]).toMatch(
    /^hsms\.hsm-a\.partitionCredentials\.payments\.co: expected a secret reference/,
  );
  expect(problems(withBackup.replace('payments: {', '"pay ments": {'))[0]).toMatch(
    /^hsms\.hsm-a\.partitionCredentials\.pay ments: /,
  );
  expect(
    problems(good.replace('host: 10.0.0.5', 'host: 10.0.0.5\n    ntls: { host: "10.0.0.5\'; reboot" }'))[0],
  ).toMatch(/^hsms\.hsm-a\.ntls\.host: expected a host name/);
});

test("an HSM's platform: Azure Dedicated HSM unless the inventory says luna-network-hsm; an Azure resource on a luna-network-hsm unit is refused", () => {
  expect(parseInventory(good).hsms['hsm-a'].platform).toBe('azure-dedicated-hsm');
  const own = good.replace('host: 10.0.0.5', 'host: 10.0.0.5\n    platform: luna-network-hsm');
  expect(parseInventory(own).hsms['hsm-a'].platform).toBe('luna-network-hsm');
  expect(problems(good.replace('host: 10.0.0.5', 'host: 10.0.0.5\n    platform: safenet'))[0]).toMatch(
    /^hsms\.hsm-a\.platform: /,
  );
  const azureResource =
    '\n    azureResourceId: /subscriptions/0/resourceGroups/rg/providers/Microsoft.HardwareSecurityModules/dedicatedHSMs/hsm-a';
  expect(problems(own.replace('host: 10.0.0.5', `host: 10.0.0.5${azureResource}`))).toEqual([
    'hsms.hsm-a.platform: an HSM with an azureResourceId is an Azure Dedicated HSM: platform must be azure-dedicated-hsm, not luna-network-hsm',
  ]);
  expect(
    parseInventory(readFileSync(join(__dirname, '..', '..', 'config', 'inventory.yaml'), 'utf8')).hsms['hsm-weu-1']
      .platform,
  ).toBe('azure-dedicated-hsm');
});
