import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fixture } from '../support/lunash-fixtures';
import { deviceOps, stepFailure } from '../support/device-ops';
import {
  CLIENT_CERTIFICATES,
  initialiseDirectly,
  SECRETS,
  sha256Of,
  startSimulatedHsm,
  type SimulatedHsm,
} from '../support/simulated-hsm';

// The operations of hsm-init, partition-create and zeroize-deprovision against the simulated
// appliance over SSH: what they send, what they refuse, and that nothing is sent on a refusal.

let sim: SimulatedHsm;
let op: ReturnType<typeof deviceOps>;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  op = deviceOps(sim);
});
afterEach(async () => {
  await sim.close();
});

const state = () => sim.appliance.state.read();
const sent = (prefix: string) =>
  state()
    .audit.filter((a) => a.command.startsWith(prefix))
    .map((a) => a.command);

describe('hsm-init', () => {
  beforeEach(async () => {
    await op('hsm.changeInitialPassword');
  });

  test('hsm.checkTime: a clock in step passes; a skewed clock, or NTP enabled without a server as its source, fails naming it', async () => {
    expect(await op('hsm.checkTime', { maxSkewSeconds: 60 })).toMatchObject({
      outcome: 'checked',
      probe: { skewSeconds: 0, ntp: { enabled: false, synchronisedTo: null } },
    });

    sim.appliance.state.update((s) => void (s.clockOffsetMs = -3_600_000));
    const skewed = await stepFailure(op('hsm.checkTime', { maxSkewSeconds: 60 }));
    expect(skewed).toMatchObject({ type: 'CheckFailed', nonRetryable: true });
    // 3600 s, or 3599 s when the second turned between the two clocks' reads
    expect(skewed.message).toMatch(
      /the appliance clock is 3(600|599) s behind the worker's \(at most 60 s\): set the time \(sysconf time, sysconf ntp\) before hsm init, as Thales advises/,
    );

    sim.appliance.state.update((s) => {
      s.clockOffsetMs = 0;
      s.ntp = { enabled: true, running: true, servers: ['10.0.0.123'], synchronised: false };
    });
    const local = await stepFailure(op('hsm.checkTime', { maxSkewSeconds: 60 }));
    expect(local.message).toContain('NTP is enabled but synchronised to no server (peers: *LOCAL(0), 10.0.0.123)');

    sim.appliance.state.update((s) => void (s.ntp.synchronised = true));
    expect(await op('hsm.checkTime', { maxSkewSeconds: 60 })).toMatchObject({
      outcome: 'checked',
      probe: { ntp: { synchronisedTo: '10.0.0.123' } },
    });
  });

  test('hsm.init takes the cloning domain from the secret store, or the default domain only as the plan says: never as a fallback', async () => {
    const missing = deviceOps(sim, { env: { ...sim.env, TEST_HSM_DOMAIN: undefined } });
    const f = await stepFailure(missing('hsm.init', { label: 'HSM1' }));
    expect(f).toMatchObject({ type: 'SecretUnavailable', nonRetryable: true });
    expect(f.message).toContain("secret env:TEST_HSM_DOMAIN is not set in the worker's environment");

    const contrary = await stepFailure(op('hsm.init', { label: 'HSM1', defaultDomain: true }));
    expect(contrary).toMatchObject({ type: 'VerificationFailed' });
    expect(contrary.message).toContain(
      "the plan initialises hsm-sim-1 with the default cloning domain, but the worker's inventory has hsmDomain for it",
    );
    expect(sent('hsm init')).toEqual([]);

    expect(await op('hsm.init', { label: 'HSM1' })).toMatchObject({
      outcome: 'applied',
      commands: ['hsm init -label HSM1'],
    });
  });

  test('hsm.init with the default domain, where the plan asks for it and the inventory has none', async () => {
    const inventory = parse(readFileSync(sim.inventoryPath, 'utf8'));
    delete inventory.hsms['hsm-sim-1'].credentials.hsmDomain;
    const path = join(sim.dir, 'no-domain.yaml');
    writeFileSync(path, stringify(inventory));
    expect(
      await deviceOps(sim, { inventoryPath: path })('hsm.init', { label: 'HSM1', defaultDomain: true }),
    ).toMatchObject({ outcome: 'applied', commands: ['hsm init -label HSM1 -defaultdomain'] });
  });
});

describe('policies', () => {
  beforeEach(() => initialiseDirectly(sim, [{ name: 'payments', objects: 3, assignedToBackup: true }]));

  test('a destructive policy change erases every partition, as the appliance warns, and is made once', async () => {
    const first = await op('hsm.changeDestructivePolicy', { policy: 12, value: 0 });
    expect(first).toMatchObject({
      outcome: 'applied',
      commands: ['hsm login', 'hsm changePolicy -policy 12 -value 0'],
      verify: { value: '0', destructive: true },
    });
    expect(first.transcript?.find((t) => t.command.startsWith('hsm changePolicy'))?.output).toContain(
      'Changing this policy will result in erasing all partitions on the HSM!',
    );
    expect(state()).toMatchObject({
      partitions: [],
      clients: [{ name: 'backup-ws', partitions: [] }],
      policies: { 12: '0' },
      zeroized: false,
    });
    expect((await op('hsm.changeDestructivePolicy', { policy: 12, value: 0 })).outcome).toBe('already-present');
    expect(sent('hsm changePolicy')).toHaveLength(1);
  });

  test('hsm.setPolicy sends nothing for a policy the appliance itself lists as destructive', async () => {
    const destructive = fixture('hsm-showpolicies-6.x').output.replace(
      'Off        21           No',
      'Off        21           Yes',
    );
    sim.appliance.faults.write({
      garbleOutput: [{ match: 'hsm showPolicies', with: destructive.replace(/\n/g, '\r\n') }],
    });
    const f = await stepFailure(op('hsm.setPolicy', { policy: 21, value: 1 }));
    expect(f).toMatchObject({ type: 'VerificationFailed', nonRetryable: true });
    expect(f.message).toContain(
      'the HSM lists policy 21 (Force user PIN change after set/reset) as destructive: changing it erases every partition and needs hsm.changeDestructivePolicy',
    );
    expect(sent('hsm login')).toEqual([]);
    expect(sent('hsm changePolicy')).toEqual([]);
  });

  test('hsm.policyIs reads the policy table, not the capabilities before it', async () => {
    expect(await op('hsm.policyIs', { policy: 7, value: 1 })).toMatchObject({
      outcome: 'checked',
      probe: { description: 'Allow cloning', value: '1' },
    });
    sim.appliance.state.update((s) => void (s.policies[7] = '0'));
    expect((await stepFailure(op('hsm.policyIs', { policy: 7, value: 1 }))).message).toContain(
      'HSM policy 7 (Allow cloning) is 0, not 1',
    );
  });
});

describe('partition-create', () => {
  const app01 = { client: 'app01', host: 'app01.example.com', certSha256: sha256Of(CLIENT_CERTIFICATES.app01) };
  beforeEach(() => initialiseDirectly(sim));

  test('partition.checkLicence: free storage must hold a partition of the default size (total / licensed)', async () => {
    expect(await op('partition.checkLicence', { adding: 1 })).toMatchObject({
      outcome: 'checked',
      probe: { licensed: 10, created: 0, storageTotal: 33554432, partitionSize: 3355443 },
    });
    sim.appliance.state.update(
      (s) =>
        void s.partitions.push({
          name: 'big',
          serial: '1500000000009',
          objects: 0,
          createdAt: new Date().toISOString(),
          size: 31_000_000,
        }),
    );
    const f = await stepFailure(op('partition.checkLicence', { adding: 1 }));
    expect(f.message).toBe(
      'partition.checkLicence: the HSM has 2554432 bytes of storage free; 1 partition(s) of the default size (33554432 bytes / 10 licensed = 3355443 each) do not fit',
    );
  });

  test("client.register copies the client's certificate as <host>.pem, then registers it; the appliance's fingerprint is checked", async () => {
    const first = await op('client.register', app01);
    expect(first).toMatchObject({
      outcome: 'applied',
      commands: [
        '(copy app01.example.com.pem to the appliance)',
        'client register -client app01 -hostname app01.example.com',
      ],
    });
    const uploaded = state().audit.findIndex((a) => a.command.startsWith('(scp -t .: app01.example.com.pem'));
    expect(uploaded).toBeGreaterThanOrEqual(0);
    expect(uploaded).toBeLessThan(state().audit.findIndex((a) => a.command.startsWith('client register')));
    const md5 = first.verify.fingerprint;
    expect(md5).toMatch(/^([0-9A-F]{2}:){15}[0-9A-F]{2}$/);
    expect(state().clients).toEqual([
      { name: 'app01', host: 'app01.example.com', partitions: [], certificateFingerprint: md5 },
    ]);
    expect((await op('client.register', app01)).outcome).toBe('already-present');
    expect(sent('client register')).toHaveLength(1);

    // app02's certificate under app01's name: refused, nothing re-registered
    sim.appliance.state.update((s) => void (s.clients[0].certificateFingerprint = 'AB:'.repeat(15) + 'AB'));
    const other = await stepFailure(op('client.register', app01));
    expect(other.message).toContain('app01 is registered with another certificate (fingerprint AB:AB');
  });

  test('client.register refuses a certificate file whose sha256 is not the approved one, before sending anything', async () => {
    const f = await stepFailure(op('client.register', { ...app01, certSha256: 'f'.repeat(64) }));
    expect(f).toMatchObject({ type: 'VerificationFailed', nonRetryable: true });
    expect(f.message).toContain(`the plan says ${'f'.repeat(64)}: refusing to register it`);
    expect(state().audit).toEqual([]);
    expect(state().files).toEqual({});
  });

  test("ntls.serverCertificate keeps the appliance's server.pem and says what the client owner runs next", async () => {
    const evidence = await op('ntls.serverCertificate', {
      client: 'app01',
      host: 'app01.example.com',
      partition: 'payments',
      cloning: true,
    });
    const pem = String(evidence.probe.pem);
    expect(new X509Certificate(pem).fingerprint256).toBe(evidence.probe.fingerprintSha256);
    expect(pem).toBe(state().serverCertificate?.trim());
    expect(evidence.nextSteps).toEqual(
      expect.arrayContaining([
        `  scp tenantadmin@127.0.0.1:server.pem hsm-sim-1-server.pem   # its SHA-256 fingerprint must be ${String(evidence.probe.fingerprintSha256)} (the certificate is in the ceremony's evidence)`,
        '  vtl addServer -n 127.0.0.1 -c hsm-sim-1-server.pem',
        '  vtl verify   # partition payments must be listed',
        expect.stringContaining('partition changepolicy -policy 0,4 -value 1,1'),
      ]),
    );
  });
});

describe('zeroize-deprovision', () => {
  beforeEach(() => initialiseDirectly(sim, [{ name: 'payments', objects: 3, assignedToBackup: true }]));

  test('hsm.exportLogs keeps the system log, the lunash command log and the HSM audit log (as the audit user), bounded and scrubbed', async () => {
    await op('hsm.show');
    const evidence = await op('hsm.exportLogs', { entries: 5, auditLogs: true });
    const commands = evidence.transcript?.map((t) => [t.user, t.command]);
    expect(commands).toEqual([
      ['tenantadmin', 'syslog tail -logname messages -entries 5'],
      ['tenantadmin', 'syslog tail -logname lunalogs -entries 5'],
      ['audit', 'audit log list'],
      ['audit', `audit log tail -file hsm_${state().serial}_00000001.log -entries 5`],
    ]);
    const lunalogs = evidence.transcript!.find((t) => t.command.includes('lunalogs'))!.output;
    expect(lunalogs).toMatch(/local5 info {2}lunash \[\d+\]: info : 0 : Command: hsm show {2}: tenantadmin : /);
    expect(evidence.probe).toMatchObject({
      entries: 5,
      messages: { lines: 1 },
      lunalogs: { lines: 2 },
      audit: { files: [{ file: `hsm_${state().serial}_00000001.log` }], tail: { lines: 4 } },
    });
    const text = JSON.stringify(evidence);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  test('hsm.exportLogs bounds what it keeps of a long log', async () => {
    sim.appliance.state.update((s) => {
      for (let i = 0; i < 600; i++)
        s.audit.push({
          at: new Date().toISOString(),
          user: 'tenantadmin',
          command: `partition show -partition p${i}`,
          result: 0,
        });
    });
    const evidence = await op('hsm.exportLogs', { entries: 2000, auditLogs: false });
    const kept = evidence.transcript!.find((t) => t.command.includes('messages'))!.output;
    expect(kept.length).toBeLessThan(33 * 1024);
    expect(kept).toMatch(/^\[\d+ earlier characters not kept\]/);
    expect(evidence.probe).toMatchObject({
      messages: { lines: 600 },
      audit: 'not exported: the plan has no audit credential for this HSM',
    });
  });
});
