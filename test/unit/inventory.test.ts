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
  ['a plain password instead of a reference', good.replace('env:HSM_A_PASSWORD', 'hunter2'), /^hsms\.hsm-a\.credentials\.tenantadmin: expected a secret reference/],
  ['a malformed fingerprint', good.replace('SHA256:2m7V9nqYl1mVt1f0m6cQyY0x3fWQ7s3S1o7V2q2kqJw', 'md5:aa:bb'), /^hsms\.hsm-a\.hostKeyFingerprint: expected an OpenSSH SHA256/],
  ['a bad approver email', good.replace('Alice@Example.com', 'alice'), /^approverGroups\.security-officers\.members\[0\]: expected an email/],
  ['an unknown top-level key', `${good}\nextra: 1\n`, /^\(root\): Unrecognized key: "extra"/],
  ['a missing operators list', good.replace('operators: [ops@example.com]', ''), /^operators: /],
])('%s is refused with the field named', (_name, text, pattern) => {
  expect(problems(text)[0]).toMatch(pattern);
});

test('broken YAML and a missing file say so', () => {
  expect(problems('hsms: [unclosed')[0]).toMatch(/^not valid YAML/);
  expect(() => loadInventory('/nonexistent/inventory.yaml')).toThrow(/cannot read the inventory file: ENOENT/);
});

test('worker config from the environment: defaults and named errors', () => {
  expect(loadConfig({})).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'hsm-ceremonies' });
  expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/x.pem' })).toThrow(/TEMPORAL_TLS_KEY: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/);
  expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: /);
});

test("a partition's Crypto Officer and the HSM's NTLS endpoint: references and names checked, the NTLS port 1792 by default", () => {
  const withBackup = good.replace('      tenantadmin: env:HSM_A_PASSWORD', '      tenantadmin: env:HSM_A_PASSWORD\n    partitionCredentials:\n      payments: { co: env:HSM_A_PAYMENTS_CO }');
  const inv = parseInventory(withBackup);
  expect(inv.hsms['hsm-a'].ntls).toEqual({ port: 1792 });
  expect(inv.hsms['hsm-a'].partitionCredentials?.payments).toEqual({ co: 'env:HSM_A_PAYMENTS_CO' });
  expect(problems(withBackup.replace('env:HSM_A_PAYMENTS_CO', 'hunter2'))[0]).toMatch(/^hsms\.hsm-a\.partitionCredentials\.payments\.co: expected a secret reference/);
  expect(problems(withBackup.replace('payments: {', '"pay ments": {'))[0]).toMatch(/^hsms\.hsm-a\.partitionCredentials\.pay ments: /);
  expect(problems(good.replace('host: 10.0.0.5', "host: 10.0.0.5\n    ntls: { host: \"10.0.0.5'; reboot\" }"))[0]).toMatch(/^hsms\.hsm-a\.ntls\.host: expected a host name/);
});
