import { buildPlan } from '../../ceremonies/build-plan';
import { canonicalJson, planDigest } from '../../ceremonies/digest';
import { parseInventory, type Inventory } from '../../ceremonies/inventory';
import { DeviceAccess } from '../../activities/device/device-access';
import { PlanSchema } from '../../ceremonies/plan';
import { parseParamPairs } from '../../ceremonies/request';
import { ceremonyIdForTicket } from '../../ceremonies/identifiers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problems } from '../support/validation-problems';

const sample = parseInventory(readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8'));
// the partitions these plans back up have their Crypto Officer's secret and cloning domain in the inventory
const weu1 = {
  ...sample.hsms['hsm-weu-1'],
  partitionCredentials: {
    p1: { co: 'env:P1_CO', domain: 'env:P1_DOMAIN' },
    p2: { co: 'env:P2_CO', domain: 'env:P2_DOMAIN' },
  },
};
// and the nightly standing approval covers them
const nightly = sample.standingApprovals['nightly-backup-weu-1'];
const inventory: Inventory = {
  ...sample,
  hsms: { ...sample.hsms, 'hsm-weu-1': weu1 },
  standingApprovals: {
    'nightly-backup-weu-1': { ...nightly, params: { ...nightly.params, partitions: ['p1', 'p2'] } },
  },
};
const request = { kind: 'rehearsal', hsm: 'hsm-weu-1', ticket: 'jira:OPS-1', requester: 'dave@example.com' } as const;

describe('plan building', () => {
  test('builds a valid rehearsal plan with a stable digest', () => {
    const a = buildPlan(request, inventory);
    const b = buildPlan({ ...request }, inventory);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(a.plan.steps.map((s) => s.type)).toEqual(['approval', 'device', 'wait', 'device']);
    expect(a.plan.steps[0]).toMatchObject({
      quorum: 2,
      approvers: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
    });
  });

  test('the digest covers every field, and canonical JSON ignores key order', () => {
    const { plan, digest } = buildPlan(request, inventory);
    expect(planDigest({ ...plan, title: `${plan.title}.` })).not.toBe(digest);
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as typeof plan;
    expect(canonicalJson(reordered)).toBe(canonicalJson(plan));
    expect(planDigest(reordered)).toBe(digest);
  });

  test('a requester in the approver group is left out of the gate', () => {
    const { plan } = buildPlan({ ...request, requester: 'alice@example.com' }, inventory);
    expect(plan.steps[0]).toMatchObject({ approvers: ['bob@example.com', 'carol@example.com'] });
  });

  test('bad requests name the field', () => {
    expect(problems(() => buildPlan({ ...request, hsm: 'hsm-nope' }, inventory))).toEqual([
      'hsm: unknown HSM "hsm-nope"; the inventory has hsm-weu-1, hsm-weu-2',
    ]);
    expect(problems(() => buildPlan({ ...request, ticket: 'OPS 1; rm -rf' }, inventory))[0]).toMatch(
      /^ticket: expected a ticket reference/,
    );
    expect(problems(() => buildPlan({ ...request, requester: 'not-an-email' }, inventory))[0]).toMatch(
      /^requester: expected an email/,
    );
    expect(problems(() => buildPlan({ ...request, kind: 'launch-missiles' as never }, inventory))[0]).toMatch(
      /^kind: /,
    );
    expect(problems(() => buildPlan({ ...request, kind: 'backup' }, inventory))).toEqual([
      'params.partitions: Invalid input: expected string, received undefined',
    ]);
    expect(problems(() => buildPlan({ ...request, params: { quorum: 'many' } }, inventory))[0]).toMatch(
      /^params\.quorum: /,
    );
    expect(problems(() => buildPlan({ ...request, params: { quorum: '4' } }, inventory))).toEqual([
      'steps[0].quorum: quorum cannot exceed the number of approvers',
    ]);
  });

  test('bad plans name the field', () => {
    const { plan } = buildPlan(request, inventory);
    const dup = { ...plan, steps: [plan.steps[0], plan.steps[0]] };
    expect(PlanSchema.safeParse(dup).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'steps.1.id: duplicate step id "approve"',
    ]);
    const badOp = { ...plan, steps: [{ ...plan.steps[1], op: 'rm -rf /' }] };
    expect(PlanSchema.safeParse(badOp).error?.issues[0].path).toEqual(['steps', 0, 'op']);
    const selfApproval = { ...plan, steps: [{ ...plan.steps[0], approvers: [plan.requester], quorum: 1 }] };
    expect(PlanSchema.safeParse(selfApproval).error?.issues[0].message).toMatch(
      /cannot be an approver of their own ceremony/,
    );
    const laterRequirement = { ...plan, steps: [{ ...plan.steps[1], requires: ['commit'] }, plan.steps[3]] };
    expect(
      PlanSchema.safeParse(laterRequirement).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual(['steps.0.requires.0: "commit" is not an earlier step']);
    const precheckAfterGate = {
      ...plan,
      steps: [
        plan.steps[0],
        { id: 'route', type: 'check', title: 'one default route', op: 'appliance.singleDefaultRoute', precheck: true },
      ],
    };
    expect(
      PlanSchema.safeParse(precheckAfterGate).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual(['steps.1.precheck: a precheck must come before the first gate ("approve")']);
    const badDuration = { ...plan, steps: [{ ...plan.steps[2], duration: '10 years' }] };
    expect(PlanSchema.safeParse(badDuration).error?.issues[0]).toMatchObject({ path: ['steps', 0, 'duration'] });
  });
});

describe('the Luna ceremonies', () => {
  const base = { hsm: 'hsm-weu-1', ticket: 'jira:OPS-9', requester: 'dave@example.com' } as const;
  const steps = (
    kind: 'hsm-init' | 'partition-create' | 'backup' | 'firmware-upgrade' | 'zeroize-deprovision',
    params: Record<string, string>,
  ) => buildPlan({ ...base, kind, params }, inventory).plan.steps.map((s) => s.id);

  test('each kind builds the plan its issue describes', () => {
    expect(steps('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9', policies: '12=0,21=1' })).toEqual([
      'approve',
      'first-login',
      'reboot-patch',
      'check-time',
      'check-zeroized',
      'init',
      'ntls-certificate',
      'policy-12',
      'policy-21',
      'syslog',
      'verify',
    ]);
    expect(steps('hsm-init', { label: 'HSM1', reinit: 'true' })).toEqual([
      'approve',
      'first-login',
      'reboot-patch',
      'check-time',
      'approve-reinit',
      'zeroize',
      'init',
      'ntls-certificate',
      'verify',
    ]);
    expect(steps('partition-create', { partition: 'p1', client: 'app01', clientHost: 'app01.example.com' })).toEqual([
      'licence',
      'approve',
      'create',
      'register',
      'assign',
      'verify',
      'server-certificate',
      'roles',
    ]);
    expect(
      steps('partition-create', { partition: 'p1', client: 'app01', clientHost: 'app01.example.com', backup: 'true' }),
    ).toEqual([
      'licence',
      'cloning-allowed',
      'approve',
      'create',
      'register',
      'assign',
      'verify',
      'server-certificate',
      'roles',
    ]);
    expect(steps('backup', { partitions: 'p1,p2' })).toEqual([
      'vpn',
      'compatible',
      'approve',
      'register-workstation',
      'visible-p1',
      'backup-p1',
      'revoke-p1',
      'visible-p2',
      'backup-p2',
      'revoke-p2',
      'verify-p1',
      'verify-p2',
    ]);
    expect(steps('backup', { partitions: 'p1', standingApproval: 'nightly-backup-weu-1' })).toEqual([
      'vpn',
      'compatible',
      'standing-approval',
      'register-workstation',
      'visible-p1',
      'backup-p1',
      'revoke-p1',
      'verify-p1',
    ]);
    expect(
      steps('firmware-upgrade', {
        file: 'u-7.8.4.spkg',
        sha256: 'a'.repeat(64),
        authCode: 'Abc12345',
        targetFirmware: '7.8.4',
        partitions: 'p1',
      }),
    ).toEqual([
      'on-target',
      'upgrade-path',
      'default-route',
      'backup-compatible',
      'signoff',
      'approve',
      'backup',
      'upload',
      'registered-clients',
      'clients-stopped',
      'verify-package',
      'install',
      'reboot',
      'firmware',
      'hsm-restarted',
      'verify',
    ]);
    // a target the documentation gives no upgrade path to is refused before anything starts
    expect(
      problems(() =>
        buildPlan(
          {
            ...base,
            kind: 'firmware-upgrade',
            params: {
              file: 'u-7.9.9.spkg',
              sha256: 'a'.repeat(64),
              authCode: 'Abc12345',
              targetFirmware: '7.9.9',
              partitions: 'p1',
            },
          },
          inventory,
        ),
      ),
    ).toEqual([
      'params.targetFirmware: no documented upgrade path to firmware 7.9.9 (known: 7.7.0, 7.7.1, 7.8.4; see ceremonies/firmware-releases.ts)',
    ]);
    expect(steps('zeroize-deprovision', {})).toEqual([
      'recent-backup',
      'approve',
      'identity',
      'evidence',
      'zeroize',
      'verify-zeroized',
      'deprovision',
    ]);
  });

  const plan = (
    kind: 'hsm-init' | 'partition-create' | 'zeroize-deprovision',
    params: Record<string, string>,
    inv = inventory,
  ) => buildPlan({ ...base, kind, params }, inv).plan;
  const withHsm = (change: Partial<(typeof inventory.hsms)[string]>) => ({
    ...inventory,
    hsms: { ...inventory.hsms, 'hsm-weu-1': { ...inventory.hsms['hsm-weu-1'], ...change } },
  });
  const noDomain = withHsm({ credentials: { ...inventory.hsms['hsm-weu-1'].credentials, hsmDomain: undefined } });

  test('hsm-init: the cloning domain is the inventory secret, or the default domain only when asked for, and the approvers read it', () => {
    expect(plan('hsm-init', { label: 'HSM1' }).steps.find((s) => s.id === 'init')).toMatchObject({
      op: 'hsm.init',
      args: { label: 'HSM1', defaultDomain: false },
    });
    expect(problems(() => plan('hsm-init', { label: 'HSM1' }, noDomain))).toEqual([
      'hsms.hsm-weu-1.credentials.hsmDomain: required to initialise with a cloning domain; or request defaultDomain=true (the default domain, which Thales deprecates as insecure)',
    ]);
    expect(problems(() => plan('hsm-init', { label: 'HSM1', defaultDomain: 'true' }))).toEqual([
      'params.defaultDomain: hsms.hsm-weu-1.credentials.hsmDomain holds a cloning domain; defaultDomain=true would ignore it',
    ]);
    const insecure = plan('hsm-init', { label: 'HSM1', defaultDomain: 'true' }, noDomain);
    expect(insecure.title).toBe('Initialise hsm-weu-1 as HSM1 with the DEFAULT cloning domain');
    expect(insecure.steps.find((s) => s.id === 'approve')?.title).toBe(
      'Approve initialising hsm-weu-1 (WARNING: DEFAULT cloning domain) (2 of security-officers)',
    );
    expect(insecure.steps.find((s) => s.id === 'init')).toMatchObject({
      title: expect.stringContaining('WARNING: the DEFAULT cloning domain'),
      args: { defaultDomain: true },
    });
  });

  test('hsm-init: the HSM audit log goes to its own host only when asked for, with the audit user and the Audit role secrets in the inventory', () => {
    const credentials = {
      ...inventory.hsms['hsm-weu-1'].credentials,
      auditRole: 'file:/run/secrets/weu1-audit-role',
      auditDomain: 'env:WEU1_AUDIT_DOMAIN',
    };
    const p = plan(
      'hsm-init',
      { label: 'HSM1', auditHost: 'audit.example.com', auditProtocol: 'tcp', auditPort: '1660' },
      withHsm({ credentials }),
    );
    expect(p.steps.map((s) => s.id).slice(-3)).toEqual(['ntls-certificate', 'audit-logging', 'verify']);
    expect(p.steps.find((s) => s.id === 'audit-logging')).toMatchObject({
      op: 'hsm.configureAuditLogging',
      args: { host: 'audit.example.com', port: 1660, protocol: 'tcp', initRole: false },
    });
    expect(
      plan(
        'hsm-init',
        { label: 'HSM1', auditHost: 'audit.example.com', auditInit: 'true' },
        withHsm({ credentials }),
      ).steps.find((s) => s.id === 'audit-logging')?.title,
    ).toContain('RE-INITIALISING the Audit role');
    expect(problems(() => plan('hsm-init', { label: 'HSM1', auditHost: 'audit.example.com' }))).toEqual([
      "hsms.hsm-weu-1.credentials.auditRole: required for params.auditHost (the appliance audit user, the HSM Audit role's password, its audit domain)",
      "hsms.hsm-weu-1.credentials.auditDomain: required for params.auditHost (the appliance audit user, the HSM Audit role's password, its audit domain)",
    ]);
    expect(problems(() => plan('hsm-init', { label: 'HSM1', ntlsDevice: 'eth9' }))[0]).toMatch(/^params\.ntlsDevice: /);
  });

  test('hsm-init: policies by their documented numbers; a destructive one is an irreversible step, and the gate says so', () => {
    const p = plan('hsm-init', { label: 'HSM1', policies: '12=0,21=1' });
    expect(p.steps.find((s) => s.id === 'policy-12')).toMatchObject({
      op: 'hsm.changeDestructivePolicy',
      irreversible: true,
      title: expect.stringContaining('Allow non-FIPS algorithms'),
    });
    expect(p.steps.find((s) => s.id === 'policy-21')).toMatchObject({ op: 'hsm.setPolicy', irreversible: false });
    expect(p.steps[0].title).toBe(
      'Approve initialising hsm-weu-1 (irreversible destructive policy change) (2 of security-officers)',
    );
    expect(problems(() => plan('hsm-init', { label: 'HSM1', policies: '99=1' }))).toEqual([
      'params.policies: 99 is not an HSM policy the documentation lists (6, 7, 12, 15, 16, 20, 21, 22, 29)',
    ]);
    // a plan written by hand cannot change a destructive policy with the reversible operation
    const sneaky = {
      ...p,
      steps: p.steps.map((s) => (s.id === 'policy-12' ? { ...s, op: 'hsm.setPolicy', irreversible: false } : s)),
    };
    expect(PlanSchema.safeParse(sneaky).error?.issues.map((i) => i.message)).toEqual([
      'a destructive policy (changing it erases every partition): use hsm.changeDestructivePolicy, which is irreversible',
    ]);
  });

  test("partition-create needs the client's certificate in the inventory; zeroize-deprovision the appliance's serial", () => {
    expect(
      problems(() => plan('partition-create', { partition: 'p1', client: 'app09', clientHost: 'app09.example.com' })),
    ).toEqual(["clientCertificates.app09: required (the client's NTLS certificate) to register it"]);
    expect(
      plan('partition-create', { partition: 'p1', client: 'app01', clientHost: 'app01.example.com' }).steps.find(
        (s) => s.id === 'register',
      ),
    ).toMatchObject({
      op: 'client.register',
      args: { client: 'app01', host: 'app01.example.com', certSha256: inventory.clientCertificates.app01.sha256 },
    });
    expect(problems(() => plan('zeroize-deprovision', {}, withHsm({ serial: undefined })))).toEqual([
      'hsms.hsm-weu-1.serial: required (the serial hsm show reports; ARM does not expose it) to check that the Azure resource is this appliance',
    ]);
    const z = plan('zeroize-deprovision', {});
    expect(z.steps.find((s) => s.id === 'zeroize')).toMatchObject({ requires: ['identity', 'evidence'] });
    expect(z.steps.find((s) => s.id === 'evidence')).toMatchObject({
      op: 'hsm.exportLogs',
      args: { entries: 500, auditLogs: true },
    });
    const noAudit = plan(
      'zeroize-deprovision',
      {},
      withHsm({ credentials: { ...inventory.hsms['hsm-weu-1'].credentials, audit: undefined } }),
    );
    expect(noAudit.steps.find((s) => s.id === 'evidence')).toMatchObject({
      args: { auditLogs: false },
      title: expect.stringContaining('the HSM audit log is NOT exported'),
    });
  });

  test('bad ceremony parameters name the field', () => {
    expect(
      problems(() =>
        buildPlan({ ...base, kind: 'hsm-init', params: { label: 'bad label; hsm zeroize' } }, inventory),
      )[0],
    ).toMatch(/^params\.label: expected 1-32 letters/);
    expect(
      problems(() => buildPlan({ ...base, kind: 'backup', params: { partitions: 'p1,p 2' } }, inventory))[0],
    ).toMatch(/^params\.partitions\[1\]: expected 1-32 letters/);
    expect(
      problems(() =>
        buildPlan({ ...base, kind: 'backup', params: { partitions: 'p1', standingApproval: 'nope' } }, inventory),
      ),
    ).toEqual(['standingApprovals.nope: required by the request']);
    expect(
      problems(() =>
        buildPlan(
          { ...base, kind: 'zeroize-deprovision', params: {} },
          { ...inventory, hsms: { 'hsm-weu-1': { ...inventory.hsms['hsm-weu-1'], azureResourceId: undefined } } },
        ),
      ),
    ).toEqual(['hsms.hsm-weu-1.azureResourceId: required to deprovision the HSM']);
    expect(
      problems(() => buildPlan({ ...base, kind: 'zeroize-deprovision', params: { waiver: 'short' } }, inventory))[0],
    ).toMatch(/^params\.waiver: a waiver needs a reason/);
  });
});

describe('ticket ids and params', () => {
  test('the same ticket always maps to the same ceremony id', () => {
    expect(ceremonyIdForTicket('jira:OPS-1')).toBe('ceremony-jira-OPS-1');
    expect(ceremonyIdForTicket('CHG0031337')).toBe('ceremony-CHG0031337');
    expect(() => ceremonyIdForTicket('a b')).toThrow();
  });

  test('--param pairs', () => {
    expect(parseParamPairs(['quorum=3', 'note=a=b'])).toEqual({ quorum: '3', note: 'a=b' });
    expect(() => parseParamPairs(['quorum'])).toThrow('--param expects key=value, got "quorum"');
  });
});

test('a backup plan names, before anyone approves it, each secret the backup will ask for (references only)', () => {
  const noCo = {
    ...inventory,
    hsms: {
      ...inventory.hsms,
      'hsm-weu-1': { ...weu1, partitionCredentials: { p1: { co: 'env:P1_CO', domain: 'env:P1_DOMAIN' } } },
    },
  };
  expect(problems(() => buildPlan({ ...request, kind: 'backup', params: { partitions: 'p1,p2' } }, noCo))).toEqual([
    "hsms.hsm-weu-1.partitionCredentials.p2.co: required for its backup (the partition's Crypto Officer)",
  ]);
  // the backup answers the partition's own cloning domain (not one for the whole workstation)
  const noDomain = {
    ...inventory,
    hsms: { ...inventory.hsms, 'hsm-weu-1': { ...weu1, partitionCredentials: { p1: { co: 'env:P1_CO' } } } },
  };
  expect(problems(() => buildPlan({ ...request, kind: 'backup', params: { partitions: 'p1' } }, noDomain))).toEqual([
    "hsms.hsm-weu-1.partitionCredentials.p1.domain: required for its backup (the partition's cloning domain, chosen at partition init -domain)",
  ]);
  // the workstation is registered with its certificate before a partition is assigned to it
  const noCertificate = { ...inventory, clientCertificates: {} };
  expect(
    problems(() => buildPlan({ ...request, kind: 'backup', params: { partitions: 'p1' } }, noCertificate)),
  ).toEqual([
    "clientCertificates.backup-ws: required (the backup workstation's NTLS certificate) to register onprem-backup as a client of hsm-weu-1",
  ]);
  // a partition called like an Object.prototype member has no credentials unless the inventory gives it some
  expect(
    problems(() => buildPlan({ ...request, kind: 'backup', params: { partitions: 'constructor' } }, inventory)),
  ).toEqual([
    "hsms.hsm-weu-1.partitionCredentials.constructor.co: required for its backup (the partition's Crypto Officer)",
  ]);
});

test('a backup workstation with the retired backupDomain credential is an inventory error that says where the domain now goes', () => {
  const text = readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8').replace(
    '      backupHsmSo: env:ONPREM_BACKUP_HSM_SO_PASSWORD',
    '      backupHsmSo: env:ONPREM_BACKUP_HSM_SO_PASSWORD\n      backupDomain: env:ONPREM_BACKUP_DOMAIN',
  );
  expect(() => parseInventory(text)).toThrow(
    /backupDevices\.onprem-backup\.credentials\.backupDomain.*retired: a backup answers the domain of the partition it backs up; name it as hsms\.<hsm>\.partitionCredentials\.<partition>\.domain/,
  );
});

test("the backup workstation logs in as the inventory's user, with credentials.backup whatever the user is called", () => {
  const device = sample.backupDevices['onprem-backup'];
  expect(device.user).toBe('backup');
  const access = DeviceAccess.forBackupOf(
    { ...sample, backupDevices: { 'onprem-backup': { ...device, user: 'lunaops' } } },
    'hsm-weu-1',
  );
  expect(access.adminUser()).toBe('lunaops');
  expect(access.entry.credentials).toMatchObject({
    lunaops: device.credentials.backup,
    backupHsmSo: device.credentials.backupHsmSo,
  });
  expect(access.entry.credentials).not.toHaveProperty('backup');
});

test("partition-create: a partition that will be backed up needs its cloning domain's reference in the inventory; the owner is told where it is kept, never its value", () => {
  const params = { partition: 'p3', client: 'app01', clientHost: 'app01.example.com', backup: 'true' };
  expect(problems(() => buildPlan({ ...request, kind: 'partition-create', params }, inventory))).toEqual([
    'hsms.hsm-weu-1.partitionCredentials.p3.domain: required for a partition that will be backed up (its cloning domain, which the backup and HA members must share)',
  ]);
  const withDomain = {
    ...inventory,
    hsms: {
      ...inventory.hsms,
      'hsm-weu-1': {
        ...weu1,
        partitionCredentials: {
          ...weu1.partitionCredentials,
          p3: { co: 'env:P3_CO', domain: 'keyvault:hsm-secrets/p3-domain' },
        },
      },
    },
  };
  const { plan } = buildPlan({ ...request, kind: 'partition-create', params }, withDomain);
  expect(plan.steps.find((s) => s.id === 'server-certificate')).toMatchObject({
    args: { domainRef: 'keyvault:hsm-secrets/p3-domain', cloning: true },
  });
  expect(plan.steps.find((s) => s.id === 'roles')?.title).toContain(
    'partition init -label p3 -domain <the domain in keyvault:hsm-secrets/p3-domain>',
  );
  // without backup or HA, a partition the inventory does not know yet: the owner chooses and records the domain
  const { plan: plain } = buildPlan(
    { ...request, kind: 'partition-create', params: { ...params, backup: 'false' } },
    inventory,
  );
  expect(plain.steps.find((s) => s.id === 'roles')?.title).toContain(
    "-domain <a domain of the owner's choice, recorded as hsms.hsm-weu-1.partitionCredentials.p3.domain>",
  );
});
