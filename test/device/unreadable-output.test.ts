import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { startAzureArm, type AzureArm } from '../../simulator/azure-arm';
import { fixture } from '../support/lunash-fixtures';
import {
  AZURE_RESOURCE_ID,
  CLIENT_CERTIFICATES,
  initialiseDirectly,
  sha256Of,
  startSimulatedHsm,
  type SimulatedHsm,
} from '../support/simulated-hsm';

// Fail closed: every operation that reads the device's state, given an answer it cannot read,
// fails non-retryably (UnreadableOutput, the raw output in the transcript) and sends nothing that
// changes the device. And the two shapes of issue 14 that used to read as "absent" now read right.

let sim: SimulatedHsm;
let arm: AzureArm;
let activities: ReturnType<typeof createActivities>;

const file = 'lunahsm_update-7.8.4-12.spkg';
const content = Buffer.from('signed update package 7.8.4\n'.repeat(1000));
const sha256 = createHash('sha256').update(content).digest('hex');

let saved: NodeJS.ProcessEnv;
beforeAll(async () => {
  arm = await startAzureArm([AZURE_RESOURCE_ID]);
  saved = { ...process.env };
  Object.assign(process.env, arm.env); // the managed-identity endpoint @azure/identity reads
});
afterAll(async () => {
  process.env = saved;
  await arm.close();
});
beforeEach(async () => {
  sim = await startSimulatedHsm();
  mkdirSync(join(sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(sim.dir, 'packages', file), content);
  activities = createActivities({
    ledgerPath: join(sim.dir, 'ledger.jsonl'),
    notifier: outboxNotifier(join(sim.dir, 'outbox.jsonl')),
    inventoryPath: sim.inventoryPath,
    packagesDir: join(sim.dir, 'packages'),
    env: sim.env,
    azure: { endpoint: arm.endpoint, caFile: arm.caFile },
  });
  initialiseDirectly(sim, [{ name: 'payments', objects: 42, assignedToBackup: true }]);
});
afterEach(async () => {
  await sim.close();
});

async function op(name: OperationName, args: OperationInput['args'] = {}): Promise<OperationEvidence> {
  const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, {
    ceremonyId: 'c-1',
    kind: 'rehearsal',
    stepId: 's-1',
    op: name,
    hsm: 'hsm-sim-1',
    args,
  });
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof ApplicationFailure) return err;
  throw new Error(`expected a failure, got ${String(err)}`);
}

/** An answer in no layout the parsers know: a table without the columns any caller needs. */
const GARBLED = 'Partition    Name\r\n=========    ====\r\n1500000000001    payments    ??';

/** What an operation may send while it cannot read the device: nothing but reads (and the HSM
 * SO's login, which changes nothing on the device: package verify runs as the SO). */
const READ_ONLY =
  /^(hsm login|client list|hsm show|partition list|client show|client fingerprint|syslog remotehost list|syslog tail|sysconf ntp status|audit log list|audit log tail|hsm showPolicies|package listfile|package list|package verify|hsm firmware show|hsm stc status|network route show|slot list|partition archive list|audit remotehost list)\b/;

const zeroizedUnit = () =>
  sim.appliance.state.update((s) => {
    Object.assign(s, { zeroized: true, label: null, hsmSoPassword: null, partitions: [], clients: [] });
  });
const backedUp = async () => {
  await op('backup.partition', { partition: 'payments', label: 'c-1-payments' });
};
const registered = () =>
  sim.appliance.state.update((s) => void s.clients.push({ name: 'app01', host: 'app01.example.com', partitions: [] }));
const registeredWithCertificate = () =>
  sim.appliance.state.update(
    (s) =>
      void s.clients.push({
        name: 'app01',
        host: 'app01.example.com',
        partitions: [],
        certificateFingerprint: Array(16).fill('AB').join(':'),
      }),
  );
const uploaded = () =>
  sim.appliance.state.update((s) => void (s.files[file] = { sha256, size: content.length, complete: true }));
const staged = () => sim.appliance.state.update((s) => void (s.upgradeFirmware = '7.8.4'));

type Args = Record<string, string | number | boolean>;
const CASES: [OperationName, Args, 'appliance' | 'backup', string, () => unknown][] = [
  ['hsm.show', {}, 'appliance', 'hsm show', () => {}],
  ['hsm.init', { label: 'HSM1' }, 'appliance', 'hsm show', zeroizedUnit],
  ['hsm.checkZeroized', {}, 'appliance', 'hsm show', () => {}],
  ['hsm.verify', { label: 'HSM1' }, 'appliance', 'hsm show', () => {}],
  ['hsm.zeroize', {}, 'appliance', 'hsm show', () => {}],
  ['hsm.configureSyslog', { host: '10.1.2.3' }, 'appliance', 'syslog remotehost list', () => {}],
  ['hsm.checkTime', { maxSkewSeconds: 60 }, 'appliance', 'sysconf ntp status', () => {}],
  ['hsm.setPolicy', { policy: 21, value: 1 }, 'appliance', 'hsm showPolicies', () => {}],
  ['hsm.changeDestructivePolicy', { policy: 15, value: 1 }, 'appliance', 'hsm showPolicies', () => {}],
  ['hsm.policyIs', { policy: 7, value: 1 }, 'appliance', 'hsm showPolicies', () => {}],
  [
    'client.register',
    { client: 'app01', host: 'app01.example.com', certSha256: sha256Of(CLIENT_CERTIFICATES.app01) },
    'appliance',
    'client fingerprint',
    registeredWithCertificate,
  ],
  ['hsm.exportLogs', { entries: 10, auditLogs: true }, 'appliance', 'audit log list', () => {}],
  ['azure.matchesAppliance', { resourceId: AZURE_RESOURCE_ID, serial: '1' }, 'appliance', 'hsm show', () => {}],
  ['partition.checkLicence', { adding: 1 }, 'appliance', 'hsm show', () => {}],
  ['partition.create', { partition: 'tokens' }, 'appliance', 'partition list', () => {}],
  ['partition.present', { partition: 'payments' }, 'appliance', 'partition list', () => {}],
  [
    'partition.assignClient',
    { client: 'app01', host: 'app01.example.com', partition: 'payments' },
    'appliance',
    'client show',
    registered,
  ],
  ['backup.partition', { partition: 'payments', label: 'c-1-payments' }, 'backup', 'partition archive list', () => {}],
  ['backup.partition', { partition: 'payments', label: 'c-1-payments' }, 'backup', 'slot list', () => {}],
  ['backup.partition', { partition: 'payments', label: 'c-1-payments' }, 'appliance', 'partition list', () => {}],
  ['backup.verify', { partition: 'payments', label: 'c-1-payments' }, 'backup', 'partition archive list', backedUp],
  ['backup.recent', { maxAgeDays: 7 }, 'appliance', 'partition list', backedUp],
  ['firmware.onTarget', { targetFirmware: '7.8.4' }, 'appliance', 'hsm show', () => {}],
  ['firmware.upload', { file, sha256 }, 'appliance', 'package listfile', () => {}],
  ['firmware.upgradePath', { targetFirmware: '7.8.4' }, 'appliance', 'package list', () => {}],
  ['appliance.singleDefaultRoute', {}, 'appliance', 'network route show', () => {}],
  ['appliance.rebootPatch', {}, 'appliance', 'package list', () => {}],
  ['hsm.configureAuditLogging', { host: '10.1.2.3' }, 'appliance', 'audit remotehost list', () => {}],
  ['package.verify', { file, authCode: 'AbC123xyz' }, 'appliance', 'package listfile', uploaded],
  [
    'package.update',
    { file, authCode: 'AbC123xyz', targetFirmware: '7.8.4' },
    'appliance',
    'hsm firmware show',
    uploaded,
  ],
  ['firmware.upgrade', { targetFirmware: '7.8.4', targetSoftware: '7.4.0' }, 'appliance', 'hsm firmware show', staged],
  ['firmware.hsmRestarted', { targetFirmware: '7.8.4', waitSeconds: 5 }, 'appliance', 'hsm show', () => {}],
  ['clients.registered', {}, 'appliance', 'client list', registered],
  ['appliance.reboot', { expectFirmware: '7.8.4', waitSeconds: 5 }, 'appliance', 'hsm show', () => {}],
  ['azure.deleteDedicatedHsm', { resourceId: AZURE_RESOURCE_ID, pollMs: 50 }, 'appliance', 'hsm show', () => {}],
];

test.each(CASES)(
  '%s %j: the %s answers "%s" unreadably: the step fails and nothing is changed',
  async (name, args, device, command, before) => {
    await before();
    const target = device === 'appliance' ? sim.appliance : sim.backup;
    const audits = () => [sim.appliance.state.read().audit, sim.backup.state.read().audit];
    const [applianceBefore, backupBefore] = audits().map((a) => a.length);
    const snapshot = () =>
      JSON.stringify([
        { ...sim.appliance.state.read(), audit: [] },
        { ...sim.backup.state.read(), audit: [] },
      ]);
    const state = snapshot();
    arm.requests.length = 0;
    target.faults.write({ garbleOutput: [{ match: command, with: GARBLED }] });

    const f = await failure(op(name, args));
    expect(f).toMatchObject({ type: 'UnreadableOutput', nonRetryable: true });
    expect(f.message).toContain(`unexpected '${command}`);
    expect(f.message).toContain('nothing was decided on it');
    // the raw (scrubbed) answer is in the failure's evidence
    const { transcript } = f.details?.[0] as { transcript: { command: string; output: string }[] };
    expect(transcript.find((t) => t.command.startsWith(command))?.output).toContain('1500000000001    payments    ??');

    const [applianceAfter, backupAfter] = audits();
    const sent = [...applianceAfter.slice(applianceBefore), ...backupAfter.slice(backupBefore)].map((a) => a.command);
    expect(sent.filter((c) => !READ_ONLY.test(c))).toEqual([]);
    expect(snapshot()).toBe(state);
    expect(arm.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  },
);

test('a partition listed in the layout of Luna 5.x/6.x is found: partition.create sends no second create (issue 14)', async () => {
  const listing = fixture('partition-list-5.x').output.replace('testPar1', 'payments');
  sim.appliance.faults.write({ garbleOutput: [{ match: 'partition list', with: listing.replace(/\n/g, '\r\n') }] });
  expect(await op('partition.create', { partition: 'payments' })).toMatchObject({
    outcome: 'already-present',
    probe: { partitions: [{ name: 'payments' }, { name: 'testPar2' }] },
  });
  expect(sim.appliance.state.read().audit.filter((a) => a.command.startsWith('partition create'))).toEqual([]);
});

test('a device that ends its lines with \\r\\r\\n (CRLF through a PTY): every operation applies once, then finds its effect (issue 14)', async () => {
  sim.appliance.faults.write({ lineEnding: '\r\r\n' });
  sim.backup.faults.write({ lineEnding: '\r\r\n' });
  const steps: [OperationName, Args][] = [
    ['partition.create', { partition: 'tokens' }],
    // a client is registered with its certificate before a partition is assigned to it
    [
      'client.register',
      { client: 'app01', host: 'app01.example.com', certSha256: sha256Of(CLIENT_CERTIFICATES.app01) },
    ],
    ['partition.assignClient', { client: 'app01', host: 'app01.example.com', partition: 'tokens' }],
    ['hsm.configureSyslog', { host: '10.1.2.3' }],
    ['hsm.setPolicy', { policy: 21, value: 1 }],
    [
      'client.register',
      { client: 'app02', host: 'app02.example.com', certSha256: sha256Of(CLIENT_CERTIFICATES.app02) },
    ],
    ['backup.partition', { partition: 'payments', label: 'c-1-payments' }],
    ['firmware.upload', { file, sha256 }],
    ['ntls.certificateForUnit', { device: 'eth0' }],
  ];
  for (const [name, args] of steps) {
    expect((await op(name, args)).outcome).toBe('applied');
    expect((await op(name, args)).outcome).toBe('already-present');
  }
  expect(await op('hsm.show')).toMatchObject({
    probe: { label: 'HSM1', partitions: [{ name: 'payments' }, { name: 'tokens' }], partitionsCreated: 2 },
  });
  expect(await op('backup.verify', { partition: 'payments', label: 'c-1-payments' })).toMatchObject({
    outcome: 'checked',
  });
  const creates = sim.appliance.state.read().audit.filter((a) => a.command.startsWith('partition create'));
  expect(creates).toHaveLength(1);
});
