import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { finishReboot } from '../../simulator/appliance-server';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import {
  CLIENT_CERTIFICATES,
  markLunaNetworkHsm,
  SECRETS,
  sha256Of,
  startSimulatedHsm,
  type SimulatedHsm,
} from '../support/simulated-hsm';

let sim: SimulatedHsm;
let activities: ReturnType<typeof createActivities>;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  activities = createActivities({
    ledgerPath: join(sim.dir, 'ledger.jsonl'),
    notifier: outboxNotifier(join(sim.dir, 'outbox.jsonl')),
    inventoryPath: sim.inventoryPath,
    packagesDir: join(sim.dir, 'packages'),
    env: sim.env,
  });
});
afterEach(async () => {
  await sim.close();
});

async function op(
  name: OperationName,
  args: OperationInput['args'] = {},
  input: Pick<OperationInput, 'earlier' | 'rerunBy'> = {},
): Promise<OperationEvidence> {
  const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, {
    ceremonyId: 'c-1',
    kind: 'rehearsal',
    stepId: 's-1',
    op: name,
    hsm: 'hsm-sim-1',
    args,
    ...input,
  });
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const state = () => sim.appliance.state.read();
const commandsRun = (match: string) =>
  state().audit.filter((a) => a.command.startsWith(match) && a.result === 0).length;

async function initialised() {
  await op('hsm.changeInitialPassword');
  await op('hsm.init', { label: 'HSM1' });
}

/** A client registered with its certificate, as the appliance needs before an assignment. */
const register = (client: 'app01' | 'backup-ws', host: string) =>
  op('client.register', { client, host, certSha256: sha256Of(CLIENT_CERTIFICATES[client]) });

/** A partition holding 42 objects, visible to the backup workstation. */
async function partitionWithObjects() {
  await initialised();
  await op('partition.create', { partition: 'payments' });
  await register('backup-ws', 'backup-ws.onprem.example');
  await op('partition.assignClient', { client: 'backup-ws', host: 'backup-ws.onprem.example', partition: 'payments' });
  sim.appliance.state.update((s) => {
    s.partitions[0].objects = 42;
  });
}

test.each([
  [
    'hsm.changeInitialPassword',
    {},
    async () => {},
    () =>
      expect(state().users.tenantadmin).toMatchObject({
        password: SECRETS.TEST_TENANTADMIN_PASSWORD,
        mustChangePassword: false,
      }),
  ],
  [
    'hsm.init',
    { label: 'HSM1' },
    () => op('hsm.changeInitialPassword'),
    () => expect(state()).toMatchObject({ zeroized: false, label: 'HSM1' }),
  ],
  [
    'hsm.configureSyslog',
    { host: '10.1.2.3', port: 514, protocol: 'udp' },
    initialised,
    () => expect(state().syslogHosts).toEqual([{ host: '10.1.2.3', port: 514, protocol: 'udp' }]),
  ],
  [
    'partition.create',
    { partition: 'payments' },
    initialised,
    () => expect(state().partitions.map((p) => p.name)).toEqual(['payments']),
  ],
  [
    'partition.assignClient',
    { client: 'app01', host: 'app01.example.com', partition: 'payments' },
    async () => {
      await initialised();
      await op('partition.create', { partition: 'payments' });
      await register('app01', 'app01.example.com');
    },
    () =>
      expect(state().clients).toEqual([
        {
          name: 'app01',
          host: 'app01.example.com',
          partitions: ['payments'],
          certificateFingerprint: expect.any(String),
        },
      ]),
  ],
  [
    'hsm.zeroize',
    {},
    async () => {
      asLunaNetworkHsm();
      await initialised();
      await op('partition.create', { partition: 'payments' });
    },
    () => expect(state()).toMatchObject({ zeroized: true, manuallyZeroized: true, partitions: [] }),
  ],
  [
    'backup.partition',
    { partition: 'payments', label: 'c-1-payments' },
    partitionWithObjects,
    () =>
      expect(sim.backup.state.read().backups).toMatchObject([
        { label: 'c-1-payments', sourcePartition: 'payments', objects: 42 },
      ]),
  ],
] as const)('%s: the first run acts, the second probes and changes nothing', async (name, args, before, check) => {
  await before();
  const first = await op(name, args);
  expect(first.outcome).toBe('applied');
  check();
  const snapshot = () =>
    JSON.stringify([
      { ...state(), audit: [] },
      { ...sim.backup.state.read(), audit: [] },
    ]);
  const after = snapshot();
  const second = await op(name, args);
  expect(second.outcome).toBe('already-present');
  expect(snapshot()).toBe(after);
  expect(second.commands).toEqual([]);
});

/** The inventory marks the unit as a Luna Network HSM of one's own (not Azure): `hsm zeroize`. */
const asLunaNetworkHsm = () => markLunaNetworkHsm(sim.inventoryPath);

const audited = (from = 0) =>
  state()
    .audit.slice(from)
    .map((a) => a.command);
const AZURE_ZEROIZE = [
  'hsm show',
  'hsm login (deliberately wrong password)',
  'hsm show',
  'hsm login (deliberately wrong password)',
  'hsm show',
  'hsm login (deliberately wrong password; proceed on the last attempt)',
  'hsm show',
];

describe('zeroize', () => {
  test('on an Azure Dedicated HSM: no hsm zeroize, but failed HSM SO logins, each decided from hsm show, proceed on the last, then the read-back', async () => {
    await initialised();
    await op('partition.create', { partition: 'payments' });
    sim.appliance.state.update((s) => void (s.zeroizeDisabled = true));
    const from = state().audit.length;
    const evidence = await op('hsm.zeroize');
    expect(evidence).toMatchObject({ outcome: 'applied', commands: AZURE_ZEROIZE });
    // the probe's hsm show, then the method: never `hsm zeroize`
    expect(audited(from)).toEqual([
      'hsm show',
      'hsm show',
      'hsm login',
      'hsm show',
      'hsm login',
      'hsm show',
      'hsm login',
      'hsm show',
      'hsm show',
    ]);
    expect(state()).toMatchObject({ zeroized: true, manuallyZeroized: false, partitions: [] });
    expect(evidence.transcript?.filter((t) => t.command === 'hsm login').pop()?.output).toContain(
      'This is your LAST available HSM Admin login attempt',
    );

    // a retried activity after the HSM is zeroized sends nothing: its probe reads hsm show, and stops
    const again = state().audit.length;
    expect(await op('hsm.zeroize')).toMatchObject({ outcome: 'already-present', commands: [] });
    expect(audited(again)).toEqual(['hsm show']);
  });

  test('no more failed logins than hsm show reports left: one earlier failure leaves two', async () => {
    await initialised();
    sim.appliance.state.update((s) => void (s.hsmSoLoginAttemptsLeft = 2));
    const evidence = await op('hsm.zeroize');
    expect(evidence.commands).toEqual(AZURE_ZEROIZE.slice(2));
    expect(audited().filter((c) => c === 'hsm login')).toHaveLength(2);
    expect(state().zeroized).toBe(true);
  });

  test('a lost session between the failed logins: the retry carries on from what hsm show says, with no extra login', async () => {
    await initialised();
    sim.appliance.faults.write({ dropConnection: [{ match: 'hsm login', applied: true, times: 1 }] });
    await expect(op('hsm.zeroize')).rejects.toThrow(/lost during 'hsm login'/);
    expect(state()).toMatchObject({ zeroized: false, hsmSoLoginAttemptsLeft: 2 });
    // a new activity (not a resumed attempt of the same one): it reads 2 left and makes 2 failed logins
    expect((await op('hsm.zeroize')).commands).toEqual(AZURE_ZEROIZE.slice(2));
    expect(audited().filter((c) => c === 'hsm login')).toHaveLength(3);
    expect(state().zeroized).toBe(true);
  });

  test('a failed login that hsm show does not count (the device refused it for another reason): the zeroize stops, no further login', async () => {
    await initialised();
    sim.appliance.faults.write({
      commandErrors: [{ match: 'hsm login', code: 'C0000001', name: 'RC_GENERAL_ERROR', times: 1 }],
    });
    const f = await failure(op('hsm.zeroize'));
    expect(f).toMatchObject({ nonRetryable: true, type: 'VerificationFailed' });
    expect(f.message).toContain(
      'after a deliberately failed HSM SO login, hsm show says 3 attempts left (it said 3 before): not one fewer; the zeroize stopped, the HSM is not zeroized',
    );
    expect(audited().filter((c) => c === 'hsm login')).toHaveLength(1);
    expect(state()).toMatchObject({ zeroized: false, hsmSoLoginAttemptsLeft: 3 });
  });

  test('on a Luna Network HSM of its own: hsm zeroize, sent once, and no HSM SO login', async () => {
    asLunaNetworkHsm();
    await initialised();
    const from = state().audit.length;
    expect(await op('hsm.zeroize')).toMatchObject({ outcome: 'applied', commands: ['hsm zeroize'] });
    expect(audited(from)).toEqual(['hsm show', 'hsm zeroize', 'hsm show']);
    expect(state()).toMatchObject({ zeroized: true, manuallyZeroized: true });
  });

  test('hsm zeroize refused by the device is not sent again: the step fails for an operator', async () => {
    asLunaNetworkHsm();
    await initialised();
    sim.appliance.state.update((s) => void (s.zeroizeDisabled = true)); // the inventory is wrong: an Azure unit
    const f = await failure(op('hsm.zeroize'));
    expect(f).toMatchObject({ nonRetryable: true, type: 'LunaCommandError' });
    expect(audited().filter((c) => c === 'hsm zeroize')).toHaveLength(1);
    expect(audited()).not.toContain('hsm login');
    expect(state().zeroized).toBe(false);
  });

  test('an inventory that gives an Azure resource to a unit it calls luna-network-hsm is refused', async () => {
    const inventory = parseYaml(readFileSync(sim.inventoryPath, 'utf8'));
    inventory.hsms['hsm-sim-1'].platform = 'luna-network-hsm';
    writeFileSync(sim.inventoryPath, stringifyYaml(inventory));
    await expect(op('hsm.show')).rejects.toThrow(
      'an HSM with an azureResourceId is an Azure Dedicated HSM: platform must be azure-dedicated-hsm, not luna-network-hsm',
    );
    expect(state().audit).toEqual([]);
  });
});

/** What a captured `hsm show` prints (its source lines and result line left out). */
function hsmShowFixture(file: string): string {
  return readFileSync(join(__dirname, '..', 'fixtures', 'lunash', file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#') && !l.startsWith('Command Result'))
    .join('\r\n');
}

describe('the interlock before hsm login', () => {
  const transcriptOf = (f: ApplicationFailure) =>
    (f.details?.[0] as { transcript?: { command: string; output: string }[] } | undefined)?.transcript ?? [];

  test('one attempt left: the SO password is not typed, the step fails non-retryably and says why and what to do', async () => {
    await initialised();
    sim.appliance.state.update((s) => void (s.hsmSoLoginAttemptsLeft = 1));
    const from = state().audit.length;
    const f = await failure(op('partition.create', { partition: 'payments' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'HsmLoginRefused' });
    expect(f.message).toContain(
      'the HSM SO password was not typed on hsm-sim-1: hsm show says 1 HSM SO login attempt left before zeroization: one more failed login zeroizes the HSM',
    );
    expect(f.message).toContain(
      'log in by hand (hsm login) with the right password to reset the counter, then retry the step',
    );
    expect(audited(from)).toEqual(['partition list', 'hsm show']);
    expect(transcriptOf(f).map((t) => t.command)).toEqual(['partition list', 'hsm show']);
    expect(state()).toMatchObject({ hsmSoLoginAttemptsLeft: 1, zeroized: false, partitions: [] });
  });

  test('an attempts line it cannot read: nothing is typed (fail closed)', async () => {
    await initialised();
    const body = hsmShowFixture('hsm-show-7.x-initialised.txt').replace(
      '3 before HSM zeroization!',
      'see the audit log',
    );
    sim.appliance.faults.write({ garbleOutput: [{ match: 'hsm show', with: body }] });
    const f = await failure(op('partition.create', { partition: 'payments' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'UnreadableOutput' });
    expect(f.message).toContain(
      'HSM Admin login attempts left "see the audit log" is none of the values it is documented to take',
    );
    expect(audited()).not.toContain('hsm login');
    expect(state().hsmSoLoginAttemptsLeft).toBe(3);
  });

  test('hsm show says the HSM is zeroized: nothing is typed', async () => {
    await initialised();
    sim.appliance.faults.write({
      garbleOutput: [{ match: 'hsm show', with: hsmShowFixture('hsm-show-7.2-zeroized.txt') }],
    });
    const f = await failure(op('partition.create', { partition: 'payments' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'HsmLoginRefused' });
    expect(f.message).toContain(
      'hsm show says the HSM is zeroized ("HSM IS ZEROIZED"): there is no HSM SO to log in as',
    );
    expect(audited()).not.toContain('hsm login');
  });

  test('a wrong SO password in the inventory: typed once, never again automatically; hsm show read back; the interlock stops before the last attempt', async () => {
    await initialised();
    sim.env.TEST_HSM_SO_PASSWORD = 'Not-The-SO-Password-1';
    const first = await failure(op('partition.create', { partition: 'payments' }));
    expect(first).toMatchObject({ nonRetryable: true, type: 'HsmLoginFailed' });
    expect(first.message).toContain('the HSM refused the HSM SO password of the inventory on hsm-sim-1');
    expect(first.message).toContain(
      'hsm show now says 2 attempts left before zeroization. The password is not typed again',
    );
    expect(first.message).not.toContain('Not-The-SO-Password-1');
    expect(audited().filter((c) => c === 'hsm login')).toHaveLength(1);
    expect(state().hsmSoLoginAttemptsLeft).toBe(2);

    // an operator retries without fixing it: one more failure, then the interlock
    expect((await failure(op('partition.create', { partition: 'payments' }))).type).toBe('HsmLoginFailed');
    const third = await failure(op('partition.create', { partition: 'payments' }));
    expect(third.type).toBe('HsmLoginRefused');
    expect(audited().filter((c) => c === 'hsm login')).toHaveLength(2);
    expect(state()).toMatchObject({ hsmSoLoginAttemptsLeft: 1, zeroized: false });

    // fixed: the right password, typed by hand, resets the counter; the step then runs
    sim.env.TEST_HSM_SO_PASSWORD = SECRETS.TEST_HSM_SO_PASSWORD;
    sim.appliance.state.update((s) => void (s.hsmSoLoginAttemptsLeft = 3));
    expect((await op('partition.create', { partition: 'payments' })).outcome).toBe('applied');
  });
});

test('sessions running at the same time on one appliance lose no change (each command is one transaction)', async () => {
  await initialised();
  // every create asks for confirmation: without the appliance's state lock the sessions would
  // write back states read before each other's change
  const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
  await Promise.all(names.map((partition) => op('partition.create', { partition })));
  expect(
    state()
      .partitions.map((p) => p.name)
      .sort(),
  ).toEqual(names);
  expect(commandsRun('partition create')).toBe(8);
});

test('hsm.show reports the state it reads', async () => {
  await initialised();
  const evidence = await op('hsm.show');
  expect(evidence).toMatchObject({
    outcome: 'checked',
    probe: { label: 'HSM1', zeroized: false, firmware: '7.0.3', partitionsAllowed: 10 },
  });
  expect(evidence.transcript?.map((t) => t.command)).toEqual(['hsm show']);
});

test('a connection dropped after the effect, then a retry, leaves exactly one effect', async () => {
  await initialised();
  sim.appliance.faults.write({ dropConnection: [{ match: 'partition create', applied: true, times: 1 }] });
  const dropped = await op('partition.create', { partition: 'p1' }).catch((err: Error) => err);
  expect(dropped).toBeInstanceOf(Error);
  expect(dropped).not.toBeInstanceOf(ApplicationFailure); // transient: Temporal retries it
  expect((dropped as Error).message).toMatch(
    /connection to 127.0.0.1:\d+ lost during 'partition create -partition p1'/,
  );
  expect(state().partitions.map((p) => p.name)).toEqual(['p1']);

  const retry = await op('partition.create', { partition: 'p1' });
  expect(retry.outcome).toBe('already-present');
  expect(state().partitions.map((p) => p.name)).toEqual(['p1']);
  expect(commandsRun('partition create')).toBe(1);
});

test('a connection dropped before the effect, then a retry, applies it once', async () => {
  asLunaNetworkHsm();
  await initialised();
  sim.appliance.faults.write({ dropConnection: [{ match: 'hsm zeroize', applied: false, times: 1 }] });
  await expect(op('hsm.zeroize')).rejects.toThrow(/lost during 'hsm zeroize'/);
  expect(state().zeroized).toBe(false);
  expect((await op('hsm.zeroize')).outcome).toBe('applied');
  expect(commandsRun('hsm zeroize')).toBe(1);
});

test('a host key other than the pinned one fails at once, non-retryable, naming both', async () => {
  const wrong = `SHA256:${'A'.repeat(43)}`;
  const other = await startSimulatedHsm('hsm-sim-1', { fingerprint: wrong });
  try {
    activities = createActivities({
      ledgerPath: join(other.dir, 'l'),
      notifier: outboxNotifier(join(other.dir, 'o')),
      inventoryPath: other.inventoryPath,
      env: other.env,
    });
    const f = await failure(op('hsm.show'));
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe('HostKeyMismatch');
    expect(f.message).toContain(`the inventory pins ${wrong}, the appliance presented ${other.appliance.fingerprint}`);
    expect(other.appliance.state.read().audit).toEqual([]);
  } finally {
    await other.close();
  }
});

test('an appliance that starts presenting another host key is refused the same way', async () => {
  await op('hsm.changeInitialPassword');
  sim.appliance.faults.write({ hostKeyChanged: true });
  const f = await failure(op('hsm.show'));
  expect(f).toMatchObject({ nonRetryable: true, type: 'HostKeyMismatch' });
  expect(f.message).toContain(`the inventory pins ${sim.appliance.fingerprint}, the appliance presented SHA256:`);
  sim.appliance.faults.write({ hostKeyChanged: false });
  expect((await op('hsm.show')).outcome).toBe('checked');
});

test('a wrong password gives a clear, non-retryable error', async () => {
  await op('hsm.changeInitialPassword');
  sim.env.TEST_TENANTADMIN_PASSWORD = 'not-the-password';
  const f = await failure(op('hsm.show'));
  expect(f).toMatchObject({ nonRetryable: true, type: 'AuthenticationFailed' });
  expect(f.message).toMatch(/login as tenantadmin on 127.0.0.1:\d+ was refused: wrong password/);
});

test('a lunash error is non-retryable and carries the device code', async () => {
  await initialised();
  sim.appliance.faults.write({
    commandErrors: [{ match: 'partition create', code: 'C0000402', name: 'RC_PARTITION_LIMIT_REACHED' }],
  });
  const f = await failure(op('partition.create', { partition: 'p2' }));
  expect(f).toMatchObject({ nonRetryable: true, type: 'LunaCommandError' });
  expect(f.message).toContain("'partition create' failed. (C0000402 : RC_PARTITION_LIMIT_REACHED)");
  expect(f.message).toContain('Command Result : 65535 (Luna Shell execution)');
  expect(state().partitions).toEqual([]);
});

test('arguments that could smuggle lunash syntax are refused before any command is sent', async () => {
  await initialised();
  const before = state().audit.length;
  const f = await failure(op('partition.create', { partition: 'p1; hsm zeroize' }));
  expect(f).toMatchObject({ nonRetryable: true, type: 'InvalidArguments' });
  expect(f.message).toMatch(/partition: expected 1-32 letters/);
  expect(state().audit.length).toBe(before);
  expect(state().zeroized).toBe(false);
});

test('a missing secret names the reference, not a value', async () => {
  delete sim.env.TEST_HSM_SO_PASSWORD;
  await op('hsm.changeInitialPassword');
  const f = await failure(op('hsm.init', { label: 'HSM1' }));
  expect(f).toMatchObject({ nonRetryable: true, type: 'SecretUnavailable' });
  expect(f.message).toContain("secret env:TEST_HSM_SO_PASSWORD is not set in the worker's environment");
});

test('no secret value appears in any evidence', async () => {
  const evidence: OperationEvidence[] = [];
  evidence.push(await op('hsm.changeInitialPassword'));
  evidence.push(await op('hsm.init', { label: 'HSM1' }));
  evidence.push(await op('partition.create', { partition: 'payments' }));
  evidence.push(await register('app01', 'app01.example.com'));
  evidence.push(
    await op('partition.assignClient', { client: 'app01', host: 'app01.example.com', partition: 'payments' }),
  );
  evidence.push(await op('hsm.configureSyslog', { host: '10.1.2.3' }));
  evidence.push(await register('backup-ws', 'backup-ws.onprem.example'));
  evidence.push(
    await op('partition.assignClient', {
      client: 'backup-ws',
      host: 'backup-ws.onprem.example',
      partition: 'payments',
    }),
  );
  evidence.push(await op('backup.partition', { partition: 'payments', label: 'c-1-payments' }));
  evidence.push(await op('backup.verify', { partition: 'payments', label: 'c-1-payments' }));
  evidence.push(await op('hsm.show'));
  evidence.push(await op('hsm.zeroize'));
  const text = JSON.stringify(evidence);
  expect(text).toContain('hsm init -label HSM1');
  for (const secret of [...Object.values(SECRETS), 'PASSWORD']) expect(text).not.toContain(secret);
});

describe('backup', () => {
  const args = { partition: 'payments', label: 'c-1-payments' };
  beforeEach(partitionWithObjects);

  test('backup.verify holds for a matching backup and fails once the partition has changed', async () => {
    await op('backup.partition', args);
    expect(await op('backup.verify', args)).toMatchObject({
      outcome: 'checked',
      probe: { sourceObjects: 42, backupObjects: 42 },
    });
    sim.appliance.state.update((s) => {
      s.partitions[0].objects = 43;
    });
    const f = await failure(op('backup.verify', args));
    expect(f).toMatchObject({ nonRetryable: true, type: 'CheckFailed' });
  });

  test('a VPN path that is down is a transient failure, and the backup is made once it is back', async () => {
    sim.backup.faults.write({ unreachable: true });
    const err = await op('backup.partition', args).catch((e: Error) => e);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect((err as Error).message).toMatch(/connection to 127.0.0.1:\d+ lost during connect/);
    expect(sim.backup.state.read().backups).toEqual([]);
    sim.backup.faults.write({ unreachable: false });
    expect((await op('backup.partition', args)).outcome).toBe('applied');
  });

  test('a connection dropped after the backup was written, then a retry, leaves exactly one backup', async () => {
    sim.backup.faults.write({ dropConnection: [{ match: 'partition archive backup', applied: true, times: 1 }] });
    await expect(op('backup.partition', args)).rejects.toThrow(/lost during 'partition archive backup/);
    expect((await op('backup.partition', args)).outcome).toBe('already-present');
    expect(sim.backup.state.read().backups).toHaveLength(1);
    expect(
      sim.backup.state.read().audit.filter((a) => a.command.startsWith('partition archive backup') && a.result === 0),
    ).toHaveLength(1);
  });

  test("the Crypto Officer's login attempts left cannot be read: no password is typed, and the step is not retried", async () => {
    sim.backup.faults.write({
      garbleOutput: [
        { match: 'role show', with: '\r\n   State of role Crypto Officer on slot 1:\r\n        Initialized.\r\n' },
      ],
    });
    const f = await failure(op('backup.partition', args));
    expect(f).toMatchObject({ nonRetryable: true, type: 'RoleLoginRefused' });
    expect(f.message).toContain('how many login attempts the Crypto Officer has left could not be read');
    expect(sim.backup.state.read().audit.filter((a) => a.command.startsWith('role login'))).toEqual([]);
    expect(sim.backup.state.read().backups).toEqual([]);
  });

  test('a Crypto Officer locked out (0 attempts left) is refused before anything is typed', async () => {
    sim.backup.state.update((s) => void (s.coLoginAttemptsLeft['hsm-sim-1/payments'] = 0));
    const f = await failure(op('backup.partition', args));
    expect(f).toMatchObject({ nonRetryable: true, type: 'RoleLoginRefused' });
    expect(f.message).toContain('the Crypto Officer is locked out');
    expect(sim.backup.state.read().audit.filter((a) => a.command.startsWith('role login'))).toEqual([]);
  });

  test('a partition not assigned to the backup workstation is refused with a clear error', async () => {
    await op('partition.create', { partition: 'orphan' });
    const f = await failure(op('backup.partition', { partition: 'orphan', label: 'c-1-orphan' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'VerificationFailed' });
    expect(f.message).toMatch(
      /partition orphan \(\d+\) is not visible from onprem-backup: assign it to the backup workstation's client first/,
    );
  });

  test("from the workstation's shell: LunaCM started, the partition's slot set, logged in as its Crypto Officer, backed up to the Backup HSM's slot under a dated name", async () => {
    const evidence = await op('backup.partition', { partition: 'payments' });
    const label = ceremonyBackupLabel('hsm-sim-1', 'payments', 'c-1');
    expect(label).toMatch(/^hsm-sim-1-payments-\d{8}-[0-9a-f]{8}$/);
    expect(evidence).toMatchObject({
      outcome: 'applied',
      verify: { target: 'complete', label, backupObjects: 42, sourceObjects: 42 },
    });
    const onWorkstation = evidence.transcript!.filter((t) => t.device === 'onprem-backup').map((t) => t.command);
    const list = ['slot list', 'partition archive list -slot 0'];
    // how many login attempts the Crypto Officer has left is read before its password is typed
    expect(onWorkstation).toEqual([
      'lunacm',
      ...list,
      ...list,
      'slot list',
      'slot set -slot 1',
      'role show -name co',
      'role login -name co',
      `partition archive backup -slot 0 -partition ${label}`,
      ...list,
    ]);
    expect(JSON.stringify(evidence)).not.toMatch(
      new RegExp([SECRETS.TEST_PARTITION_CO, SECRETS.TEST_BACKUP_HSM_SO, SECRETS.TEST_PARTITION_DOMAIN].join('|')),
    );
    // the same ceremony finds it again; the day in the name says when it was made
    expect(await op('backup.partition', { partition: 'payments' })).toMatchObject({
      outcome: 'already-present',
      commands: [],
    });
    expect(await op('backup.recent', { maxAgeDays: 1 })).toMatchObject({
      outcome: 'checked',
      probe: { covered: [{ partition: 'payments', backups: [label] }], uncovered: [] },
    });
  });

  test("a wrong Crypto Officer password is the device's refusal: nothing is backed up", async () => {
    sim.env.TEST_PARTITION_CO = 'not-the-co-password';
    const f = await failure(op('backup.partition', { partition: 'payments' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'LunaCommandError' });
    expect(f.message).toContain("'role login -name co' failed");
    expect(f.message).toContain('CKR_PIN_INCORRECT');
    expect(sim.backup.state.read().backups).toEqual([]);
  });

  test('a cloning domain that does not match leaves an empty backup partition: not a backup, never skipped; an operator replaces it (or aborts)', async () => {
    sim.env.TEST_BACKUP_DOMAIN = 'a-domain-the-partition-does-not-have';
    const first = await failure(op('backup.partition', { partition: 'payments' }));
    expect(first).toMatchObject({ nonRetryable: true, type: 'IncompleteBackup' });
    const label = ceremonyBackupLabel('hsm-sim-1', 'payments', 'c-1');
    expect(first.message).toContain(
      `backup ${label} on onprem-backup holds 0 of the 42 objects of partition payments: it is not a backup; retry`,
    );
    expect(first.message).toContain('CKR_CERTIFICATE_INVALID');
    expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([[label, 0]]);

    // found again on a retry nobody decided: the probe says incomplete, nothing is sent
    const again = await failure(op('backup.partition', { partition: 'payments' }));
    expect(again).toMatchObject({ type: 'IncompleteBackup' });
    expect(await failure(op('backup.verify', { partition: 'payments' }))).toMatchObject({
      type: 'CheckFailed',
      message: expect.stringContaining(`backup "${label}" holds 0 objects, partition payments holds 42`),
    });
    const backups = () =>
      sim.backup.state
        .read()
        .audit.filter((a) => a.command.startsWith('partition archive backup'))
        .map((a) => [a.command.replace(label, '<label>'), a.result]);
    expect(backups()).toEqual([['partition archive backup -slot 0 -partition <label>', 65535]]);

    // the operator fixed the domain and retried: the target is replaced
    sim.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
    const replaced = await op(
      'backup.partition',
      { partition: 'payments' },
      { rerunBy: { by: 'operator@example.com', reason: "the partition's domain corrected" } },
    );
    expect(replaced).toMatchObject({
      outcome: 'applied',
      probe: { target: 'incomplete', backupObjects: 0 },
      verify: { target: 'complete', label, backupObjects: 42 },
    });
    expect(backups()).toEqual([
      ['partition archive backup -slot 0 -partition <label>', 65535],
      ['partition archive backup -slot 0 -partition <label> -replace', 0],
    ]);
    expect(await op('backup.verify', { partition: 'payments' })).toMatchObject({ outcome: 'checked' });
  });

  test("a label the plan names is never replaced, even on an operator's word", async () => {
    sim.env.TEST_BACKUP_DOMAIN = 'a-domain-the-partition-does-not-have';
    await failure(op('backup.partition', args));
    sim.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
    const f = await failure(
      op('backup.partition', args, { rerunBy: { by: 'operator@example.com', reason: 'try again' } }),
    );
    expect(f.message).toContain('the plan names this label, so it is not replaced');
    expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([['c-1-payments', 0]]);
  });
});

describe('restore', () => {
  beforeEach(async () => {
    await partitionWithObjects();
    await op('backup.partition', { partition: 'payments', label: 'c-1-payments' });
    await op('partition.create', { partition: 'scratch' });
    await op('partition.assignClient', { client: 'backup-ws', host: 'backup-ws.onprem.example', partition: 'scratch' });
  });
  const restore = { partition: 'scratch', source: 'payments', label: 'c-1-payments' };
  const restores = () =>
    sim.backup.state.read().audit.filter((a) => a.command.startsWith('partition archive restore') && a.result === 0)
      .length;

  test('a connection dropped after the restore ran, then a retry: the probe finds it done, and the restore was sent once', async () => {
    sim.backup.faults.write({ dropConnection: [{ match: 'partition archive restore', applied: true, times: 1 }] });
    await expect(op('backup.restore', restore)).rejects.toThrow(/lost during 'partition archive restore/);
    expect((await op('backup.restore', restore)).outcome).toBe('already-present');
    expect(restores()).toBe(1);
    expect(await op('restore.verify', restore)).toMatchObject({
      outcome: 'checked',
      verify: {
        partition: 'payments',
        target: 'scratch',
        label: 'c-1-payments',
        backupObjects: 42,
        restoredObjects: 42,
      },
    });
  });

  test('scratch.clear clears a scratch partition of the inventory, and refuses any other partition without a command', async () => {
    await op('backup.restore', restore);
    const f = await failure(op('scratch.clear', { partition: 'payments' }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'InvalidArguments' });
    expect(f.message).toContain('payments is not one of hsms.hsm-sim-1.scratchPartitions: it is never cleared');
    expect(state().partitions.find((p) => p.name === 'payments')?.objects).toBe(42);
    expect((await op('scratch.clear', { partition: 'scratch' })).outcome).toBe('applied');
    expect(state().partitions.find((p) => p.name === 'scratch')?.objects).toBe(0);
    expect(sim.backup.state.read().audit.filter((a) => a.command.startsWith('partition clear')).length).toBe(1);
  });

  test("a backup ceremony's label that names another partition than the stated source is refused before any gate", async () => {
    const label = ceremonyBackupLabel('hsm-sim-1', 'payments', 'c-1');
    sim.backup.state.update((s) => void s.backups.push({ ...s.backups[0], label }));
    expect(await op('restore.compatible', { partition: 'scratch', source: 'payments', label })).toMatchObject({
      outcome: 'checked',
      probe: { label, backupObjects: 42, domain: 'same reference' },
    });
    const f = await failure(op('restore.compatible', { partition: 'scratch', source: 'tokens', label }));
    expect(f).toMatchObject({ nonRetryable: true, type: 'CheckFailed' });
    expect(f.message).toContain(`backup ${label} is not named as a backup of hsm-sim-1's partition tokens`);
  });

  test('labelFrom names a step whose verified state holds the label; without it nothing is restored', async () => {
    const pinned = { partition: 'scratch', source: 'payments', labelFrom: 'ready-payments' };
    const f = await failure(op('backup.restore', pinned));
    expect(f).toMatchObject({ nonRetryable: true, type: 'InvalidArguments' });
    expect(restores()).toBe(0);
    const fn = activities['backup.restore'] as (input: OperationInput) => Promise<OperationEvidence>;
    const evidence = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, {
      ceremonyId: 'c-1',
      kind: 'restore-drill',
      stepId: 'restore-payments',
      op: 'backup.restore' as const,
      hsm: 'hsm-sim-1',
      args: pinned,
      earlierState: { 'ready-payments': { label: 'c-1-payments' } },
    });
    expect(evidence).toMatchObject({ outcome: 'applied', verify: { label: 'c-1-payments', targetObjects: 42 } });
  });
});

describe('the backup path and the assignment', () => {
  beforeEach(partitionWithObjects);

  test("vpn.check: the worker reaches the workstation's SSH, and the workstation the HSM's NTLS port", async () => {
    expect(await op('vpn.check', { timeoutMs: 1000 })).toMatchObject({
      outcome: 'checked',
      probe: { ntls: { host: '127.0.0.1', port: sim.appliance.ntlsPort, reachable: true } },
    });
    sim.backup.faults.write({ ntlsBlocked: true });
    const blocked = await failure(op('vpn.check', { timeoutMs: 1000 }));
    expect(blocked).toMatchObject({ type: 'CheckFailed', nonRetryable: true });
    expect(blocked.message).toBe(
      `vpn.check: the backup workstation 127.0.0.1 cannot reach the HSM's NTLS port 127.0.0.1:${sim.appliance.ntlsPort} (no answer in 1 s)`,
    );
    sim.backup.faults.write({});
    // the inventory names a port nothing listens on
    const inventory = parseYaml(readFileSync(sim.inventoryPath, 'utf8'));
    inventory.hsms['hsm-sim-1'].ntls = { port: 1 };
    writeFileSync(sim.inventoryPath, stringifyYaml(inventory));
    expect((await failure(op('vpn.check', { timeoutMs: 1000 }))).message).toContain(
      "cannot reach the HSM's NTLS port 127.0.0.1:1 (Connection refused)",
    );
  });

  test("a workstation whose shell does not start LunaCM as the inventory says: the step fails naming the shell's answer, nothing is sent", async () => {
    const inventory = parseYaml(readFileSync(sim.inventoryPath, 'utf8'));
    inventory.backupDevices['onprem-backup'].lunacm = '/opt/nowhere/lunacm2';
    writeFileSync(sim.inventoryPath, stringifyYaml(inventory));
    const f = await failure(op('backup.partition', { partition: 'payments' }));
    expect(f).toMatchObject({ type: 'UnreadableOutput', nonRetryable: true });
    expect(f.message).toContain(
      'unexpected \'/opt/nowhere/lunacm2\' output: the shell did not start LunaCM (at "bash: /opt/nowhere/lunacm2: command not found")',
    );
    expect(sim.backup.state.read().audit).toEqual([]);
  });

  test('partition.revokeClient takes back only an assignment its ceremony made', async () => {
    const revoke = { client: 'backup-ws', partition: 'payments', assignedBy: 'visible-payments' };
    const assigned = () => state().clients.find((c) => c.name === 'backup-ws')?.partitions;
    expect(
      await op('partition.revokeClient', revoke, { earlier: { 'visible-payments': 'already-present' } }),
    ).toMatchObject({ outcome: 'already-present', probe: { kept: 'assigned before this ceremony' } });
    expect(assigned()).toEqual(['payments']);
    expect(await op('partition.revokeClient', revoke, { earlier: { 'visible-payments': 'applied' } })).toMatchObject({
      outcome: 'applied',
      commands: ['client revokePartition -client backup-ws -partition payments'],
    });
    expect(assigned()).toEqual([]);
    expect(await op('partition.revokeClient', revoke, { earlier: { 'visible-payments': 'applied' } })).toMatchObject({
      outcome: 'already-present',
      commands: [],
    });
    expect(await failure(op('partition.revokeClient', revoke))).toMatchObject({
      type: 'InvalidArguments',
      message: expect.stringContaining('assignedBy "visible-payments" must name a step this one requires'),
    });
  });
});

describe('firmware', () => {
  const file = 'lunahsm_update-7.8.4-12.spkg';
  const content = Buffer.from('signed update package 7.8.4\n'.repeat(1000));
  const sha256 = createHash('sha256').update(content).digest('hex');
  const install = { file, authCode: 'AbC123xyz', targetFirmware: '7.8.4' };

  beforeEach(async () => {
    mkdirSync(join(sim.dir, 'packages'), { recursive: true });
    writeFileSync(join(sim.dir, 'packages', file), content);
    sim.appliance.faults.write({ rebootMs: 300 });
    await initialised();
  });

  test('scp upload (sha256 checked first), package verify, package update (staged), hsm firmware upgrade, the reboot that runs the new software: each once', async () => {
    const wrong = await failure(op('firmware.upload', { file, sha256: 'f'.repeat(64) }));
    expect(wrong).toMatchObject({ nonRetryable: true, type: 'VerificationFailed' });
    expect(wrong.message).toContain(`package ${file} has sha256 ${sha256}, the request says ${'f'.repeat(64)}`);
    expect(state().files).toEqual({});

    expect((await op('firmware.upload', { file, sha256 })).outcome).toBe('applied');
    expect(state().files[file]).toEqual({ size: content.length, sha256, complete: true });
    expect((await op('firmware.upload', { file, sha256 })).outcome).toBe('already-present');
    expect(state().audit.filter((a) => a.command.startsWith('(scp -t .'))).toHaveLength(1);
    expect(await op('package.verify', { file, authCode: install.authCode })).toMatchObject({
      outcome: 'checked',
      probe: { verified: true, size: content.length },
    });

    expect((await op('package.update', install)).outcome).toBe('applied');
    // staged: the software runs after the reboot, the firmware waits for hsm firmware upgrade
    expect(state()).toMatchObject({
      firmware: '7.0.3',
      softwareVersion: '7.4.0-226',
      pendingSoftware: '7.8.4-12',
      upgradeFirmware: '7.8.4',
    });
    expect((await op('package.update', install)).outcome).toBe('already-present');

    // the firmware waits for the reboot that runs the new software: refused, unsent, before it
    const fw = { targetFirmware: '7.8.4', targetSoftware: '7.8.4' };
    const early = await failure(op('firmware.upgrade', fw));
    expect(early).toMatchObject({ nonRetryable: true, type: 'VerificationFailed' });
    expect(early.message).toContain(
      'the appliance runs appliance software 7.4.0-226, not 7.8.4 that carries firmware 7.8.4',
    );
    expect(commandsRun('hsm firmware upgrade')).toBe(0);

    const reboot = { expectSoftware: '7.8.4', waitSeconds: 10 };
    expect(await op('appliance.reboot', reboot)).toMatchObject({
      outcome: 'applied',
      verify: { firmware: '7.0.3', software: '7.8.4-12' },
    });
    expect(state()).toMatchObject({ softwareVersion: '7.8.4-12', pendingSoftware: null, reboot: null });
    expect((await op('appliance.reboot', reboot)).outcome).toBe('already-present');

    const upgrade = await op('firmware.upgrade', fw);
    // firmware 7.0.3 has the STC admin channel: its status is read, and it is off, so not disabled
    expect(upgrade).toMatchObject({
      outcome: 'applied',
      commands: ['hsm show', 'hsm firmware show', 'hsm login', 'hsm stc status', 'hsm firmware upgrade'],
    });
    expect(state()).toMatchObject({
      firmware: '7.8.4',
      rollbackFirmware: '7.0.3',
      upgradeFirmware: null,
      softwareVersion: '7.8.4-12',
    });
    expect((await op('firmware.upgrade', fw)).outcome).toBe('already-present');
    expect(await op('firmware.hsmRestarted', { targetFirmware: '7.8.4', waitSeconds: 5 })).toMatchObject({
      outcome: 'already-present',
    });
    expect(await op('hsm.verify', { firmware: '7.8.4', software: '7.8.4' })).toMatchObject({ outcome: 'checked' });
    for (const command of ['package update', 'hsm firmware upgrade', 'sysconf appliance reboot'])
      expect(commandsRun(command)).toBe(1);
    expect(commandsRun('hsm stc disable')).toBe(0);
  });

  test('STC is disabled first only where the firmware has the admin channel and it is on; hsm firmware upgrade only to the target image', async () => {
    sim.appliance.state.update((s) =>
      Object.assign(s, { stcEnabled: true, upgradeFirmware: '7.7.0', softwareVersion: '7.8.4-12' }),
    );
    const fw = { targetFirmware: '7.8.4', targetSoftware: '7.8.4' };
    const other = await failure(op('firmware.upgrade', fw));
    expect(other).toMatchObject({ nonRetryable: true, type: 'VerificationFailed' });
    expect(other.message).toContain('the firmware staged on the appliance is 7.7.0, not 7.8.4');
    expect(commandsRun('hsm firmware upgrade')).toBe(0);

    sim.appliance.state.update((s) => void (s.upgradeFirmware = '7.8.4'));
    expect(await op('firmware.upgrade', fw)).toMatchObject({
      commands: [
        'hsm show',
        'hsm firmware show',
        'hsm login',
        'hsm stc status',
        'hsm stc disable',
        'hsm login',
        'hsm firmware upgrade',
      ],
    });
    expect(state()).toMatchObject({ stcEnabled: false, firmware: '7.8.4' });

    // 7.7.0 and newer have no STC admin channel: nothing is asked about it
    sim.appliance.state.update((s) => Object.assign(s, { firmware: '7.7.0', upgradeFirmware: '7.8.4' }));
    expect(await op('firmware.upgrade', fw)).toMatchObject({
      commands: ['hsm show', 'hsm firmware show', 'hsm login', 'hsm firmware upgrade'],
    });
    expect(commandsRun('hsm stc status')).toBe(1);
  });

  test('prechecks read the documented path, the prerequisites and the routes, and say what does not hold', async () => {
    expect(await op('firmware.upgradePath', { targetFirmware: '7.8.4' })).toMatchObject({
      outcome: 'checked',
      probe: { firmware: '7.0.3', installedPackages: ['lunasa-reboot-patch-3'], problems: [] },
    });
    sim.appliance.state.update((s) => void (s.packages = []));
    const patch = await failure(op('firmware.upgradePath', { targetFirmware: '7.8.4' }));
    expect(patch).toMatchObject({ nonRetryable: true, type: 'CheckFailed' });
    expect(patch.message).toContain(
      'lunasa-reboot-patch is not installed: the Luna Network HSM 7 Reboot Patch must be installed before appliance software 7.7.0 or newer',
    );
    sim.appliance.state.update((s) => Object.assign(s, { packages: ['lunasa-reboot-patch-3'], firmware: '7.8.4' }));
    expect((await failure(op('firmware.upgradePath', { targetFirmware: '7.7.0' }))).message).toContain(
      'firmware 7.8.4 → 7.7.0 is a rollback: it zeroizes the HSM',
    );
    expect((await failure(op('firmware.upgradePath', { targetFirmware: '7.9.9' }))).message).toContain(
      'no documented upgrade path to firmware 7.9.9',
    );

    expect(await op('appliance.singleDefaultRoute')).toMatchObject({
      outcome: 'checked',
      probe: { defaultRoutes: [{ gateway: '10.0.2.1', iface: 'eth0' }] },
    });
    sim.appliance.state.update(
      (s) =>
        void s.routes.push({
          destination: '0.0.0.0',
          gateway: '10.0.3.1',
          genmask: '0.0.0.0',
          flags: 'UG',
          iface: 'eth1',
        }),
    );
    const routes = await failure(op('appliance.singleDefaultRoute'));
    expect(routes).toMatchObject({ nonRetryable: true, type: 'CheckFailed' });
    expect(routes.message).toContain(
      'the appliance has 2 default routes (via 10.0.2.1 on eth0, via 10.0.3.1 on eth1): remove all but one with network route delete',
    );
  });

  test('an scp copy cut short leaves a short file that does not verify; the retry sends it whole, and then it verifies', async () => {
    sim.appliance.faults.write({ interruptUpload: [{ afterBytes: 5000, times: 1 }] });
    const cut = await op('firmware.upload', { file, sha256 }).catch((err: Error) => err);
    expect(cut).not.toBeInstanceOf(ApplicationFailure); // transient: Temporal retries it
    expect((cut as Error).message).toMatch(
      /connection to 127\.0\.0\.1:\d+ lost during scp of lunahsm_update-7\.8\.4-12\.spkg/,
    );
    expect(state().files[file]).toMatchObject({ size: 5000, complete: false });
    const unverified = await failure(op('package.verify', { file, authCode: install.authCode }));
    expect(unverified).toMatchObject({ nonRetryable: true, type: 'CheckFailed' });
    expect(unverified.message).toContain(
      `${file} does not verify: Error:  'package verify' failed. (C0000A01 : RC_SECURITY_PARAMETER_INVALID)`,
    );

    expect(await op('firmware.upload', { file, sha256 })).toMatchObject({
      outcome: 'applied',
      probe: { onAppliance: [{ file, size: 5000 }] },
    });
    expect(state().files[file]).toEqual({ size: content.length, sha256, complete: true });
    expect((await op('package.verify', { file, authCode: install.authCode })).outcome).toBe('checked');
  });

  test('the appliance offers no SFTP subsystem: files come with scp only', async () => {
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({
        host: '127.0.0.1',
        port: sim.appliance.port,
        username: 'tenantadmin',
        password: SECRETS.TEST_TENANTADMIN_PASSWORD,
        hostVerifier: () => true,
      });
    });
    try {
      const refused = await new Promise<Error | undefined>((resolve) => client.sftp((err) => resolve(err)));
      expect(refused?.message).toMatch(/Unable to start subsystem: sftp/);
    } finally {
      client.end();
    }
  });

  test('a reboot that hangs fails non-retryably; after a power cycle the retry finds the work done', async () => {
    await op('firmware.upload', { file, sha256 });
    await op('package.update', install);
    sim.appliance.faults.write({ rebootHangs: true });
    const reboot = { expectSoftware: '7.8.4', waitSeconds: 2 };
    const hung = await failure(op('appliance.reboot', reboot));
    expect(hung).toMatchObject({ nonRetryable: true, type: 'RebootHung' });
    expect(hung.message).toContain(
      'did not come back within 2 s of the reboot: a physical reboot (support request) is needed',
    );
    expect(state().reboot).toEqual({ until: null });

    finishReboot(sim.appliance.state); // the operator's physical power cycle
    expect((await op('appliance.reboot', { ...reboot, waitSeconds: 5 })).outcome).toBe('already-present');
    expect(commandsRun('sysconf appliance reboot')).toBe(1);
  });
});
