import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { cli, firstScheduledRun } from '../support/cli';
import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { LunaShell } from '../../activities/device/luna-shell';
import { backupWorkstationClient, CLIENT_CERTIFICATES, initialiseDirectly, SECRETS } from '../support/simulated-hsm';
import { certificateFingerprint } from '../../simulator/lunash/appliance-logs';
import { readFileSync } from 'node:fs';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('backup');
  initialiseDirectly(env.sim, [
    { name: 'payments', objects: 42 },
    { name: 'tokens', objects: 7 },
  ]);
});

/** Which partitions the appliance assigns to the backup workstation. */
const assigned = () => env.sim.appliance.state.read().clients.find((c) => c.name === 'backup-ws')?.partitions ?? [];
const backups = () => env.sim.backup.state.read().backups.map((b) => [b.label, b.sourcePartition, b.objects]);
afterAll(async () => {
  await env?.close();
});

test('backup: with the VPN down the ceremony waits for an operator; once it is back, every partition is backed up as its Crypto Officer under a dated name, verified, and revoked from the workstation again', async () => {
  const { sim, h } = env;
  sim.backup.faults.write({ unreachable: true });
  const id = await env.start('backup', { partitions: 'payments,tokens' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps[0].error).toBe(
    `CheckFailed: vpn.check: VPN path to 127.0.0.1:${sim.backup.port} down (connection closed)`,
  );
  expect(stopped.decisions).toEqual([]);

  sim.backup.faults.write({ unreachable: false });
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'VPN gateway restarted' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  const label = (partition: string) => ceremonyBackupLabel('hsm-sim-1', partition, id);
  expect(backups()).toEqual([
    [label('payments'), 'payments', 42],
    [label('tokens'), 'tokens', 7],
  ]);
  expect(final.steps.filter((s) => s.id.startsWith('verify-')).map((s) => s.evidence?.probe)).toEqual([
    { sourceObjects: 42, backupObjects: 42, label: label('payments') },
    { sourceObjects: 7, backupObjects: 7, label: label('tokens') },
  ]);
  // the ceremony assigned both partitions to the workstation, and took them back
  expect(final.steps.filter((s) => s.id.startsWith('revoke-')).map((s) => [s.id, s.evidence?.outcome])).toEqual([
    ['revoke-payments', 'applied'],
    ['revoke-tokens', 'applied'],
  ]);
  expect(assigned()).toEqual([]);
  await env.expectNoSecretsInHistory(id);

  // the documentation allowed it (checked before the gate), and the workstation was registered
  // with its certificate, copied as <host>.pem, before any partition was assigned to it
  expect(final.steps.slice(0, 4).map((s) => s.id)).toEqual(['vpn', 'compatible', 'approve', 'register-workstation']);
  expect(final.steps.find((s) => s.id === 'compatible')?.evidence?.probe).toEqual({
    partitionFirmware: '7.0.3',
    planned: false,
    backupHsmModel: 'G7 Backup HSM',
    backupHsmFirmware: '7.7.1',
    clientVersion: '10.4.0',
    problems: [],
  });
  const commands = sim.appliance.state.read().audit.map((a) => a.command);
  const copied = commands.findIndex((c) => c.startsWith('(scp -t .: 127.0.0.1.pem'));
  const registered = commands.indexOf('client register -client backup-ws -hostname 127.0.0.1');
  expect(copied).toBeGreaterThanOrEqual(0);
  expect(registered).toBeGreaterThan(copied);
  expect(registered).toBeLessThan(commands.indexOf('client assignPartition -client backup-ws -partition payments'));
  expect(sim.appliance.state.read().clients.find((c) => c.name === 'backup-ws')?.certificateFingerprint).toBe(
    certificateFingerprint(readFileSync(CLIENT_CERTIFICATES['backup-ws'], 'utf8')),
  );
});

test('the appliance refuses client register when the client certificate was not copied as <host>.pem first', async () => {
  const { sim } = env;
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'tenantadmin',
    { password: SECRETS.TEST_TENANTADMIN_PASSWORD },
  );
  try {
    const out = await shell.run('client register -client ghost -hostname ghost.example.com', { allowError: true });
    expect(out.code).not.toBe(0);
    expect(out.output).toContain("Can't find cert ghost.example.com.pem");
    expect(sim.appliance.state.read().clients.map((c) => c.name)).not.toContain('ghost');
  } finally {
    shell.close();
  }
});

test('a Backup HSM 7 below firmware 7.7.1 cannot take a backup of partitions on firmware 7.7+: refused before any gate, naming both versions', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => void (s.firmware = '7.7.1'));
  sim.backup.state.update((s) => void (s.backupHsmFirmware = '7.3.2'));
  const since = new Date().toISOString();
  try {
    const id = await env.start('backup', { partitions: 'payments' });
    const final = await result(h.ceremonies, id);
    expect(final.phase).toBe('refused');
    expect(final.decisions).toEqual([]);
    expect(final.refusedBy).toBe('compatible');
    expect(final.refusal).toContain(
      'partitions on HSM firmware 7.7.1 (7.7.0 or newer: V0/V1) need a Luna Backup HSM 7 on firmware 7.7.1 or newer; the Backup HSM runs 7.3.2',
    );
    expect(final.refusal).toContain('"partition archive backup"');
    // nothing ran after the precheck: no gate, no registration, no assignment
    expect(final.steps.filter((s) => s.status === 'succeeded').map((s) => s.id)).toEqual(['vpn']);
    expect(final.steps.filter((s) => s.attempts > 0).map((s) => s.id)).toEqual(['vpn', 'compatible']);
    expect(
      sim.backup.state
        .read()
        .audit.filter((a) => a.at >= since && /^(role login|partition archive backup)/.test(a.command)),
    ).toEqual([]);
  } finally {
    sim.appliance.state.update((s) => void (s.firmware = '7.0.3'));
    sim.backup.state.update((s) => void (s.backupHsmFirmware = '7.7.1'));
  }
});

test('the Crypto Officer has 1 login attempt left: the worker types no password, and the step waits for an operator without retrying', async () => {
  const { sim, h } = env;
  sim.backup.state.update((s) => void (s.coLoginAttemptsLeft['hsm-sim-1/payments'] = 1));
  const since = new Date().toISOString();
  try {
    const id = await env.start('backup', { partitions: 'payments' });
    const stopped = await driveGates(h.ceremonies, id);
    expect(stopped.phase).toBe('needs-intervention');
    const step = stopped.steps.find((s) => s.id === 'backup-payments')!;
    expect(step).toMatchObject({ status: 'failed', attempts: 1 });
    expect(step.error).toContain('RoleLoginRefused');
    expect(step.error).toContain(
      'the Crypto Officer has 1 login attempt left, and one wrong password would lock it out',
    );
    const typed = sim.backup.state.read().audit.filter((a) => a.at >= since);
    expect(typed.map((a) => a.command)).toContain('role show -name co');
    expect(typed.filter((a) => a.command.startsWith('role login'))).toEqual([]);
    expect(sim.backup.state.read().coLoginAttemptsLeft['hsm-sim-1/payments']).toBe(1);
    expect(backups().filter(([label]) => label === ceremonyBackupLabel('hsm-sim-1', 'payments', id))).toEqual([]);
    await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'the CO password is checked first' });
    expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  } finally {
    sim.backup.state.update((s) => void (s.coLoginAttemptsLeft = {}));
    env.sim.appliance.state.update((s) => void (s.clients = s.clients.map((c) => ({ ...c, partitions: [] }))));
  }
});

test("the inventory names a cloning domain that is not the partition's: the empty backup partition is not taken for a backup; the operator is asked, and a retry after the fix replaces it", async () => {
  const { h } = env;
  process.env.TEST_BACKUP_DOMAIN = 'not-the-partitions-domain';
  const id = await env.start('backup', { partitions: 'payments' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  const label = ceremonyBackupLabel('hsm-sim-1', 'payments', id);
  const failed = stopped.steps.find((s) => s.id === 'backup-payments')!;
  expect(failed.error).toMatch(
    new RegExp(
      `^IncompleteBackup: backup.partition on hsm-sim-1: backup ${label} on onprem-backup holds 0 of the 42 objects of partition payments: it is not a backup; retry \\(ceremony resolve --action retry\\) replaces it`,
    ),
  );
  expect(failed.error).toContain('CKR_CERTIFICATE_INVALID');
  expect(backups()).toContainEqual([label, 'payments', 0]);

  // retried with the domain still wrong: replaced, and still empty: asked again
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'try once more' });
  expect((await driveGates(h.ceremonies, id)).steps.find((s) => s.id === 'backup-payments')).toMatchObject({
    status: 'failed',
    attempts: 2,
    error: expect.stringContaining('holds 0 of the 42 objects'),
  });

  process.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
  await h.ceremonies.resolve(id, {
    action: 'retry',
    by: OPERATOR,
    reason: "the partition's domain corrected: replace the empty backup",
  });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'backup-payments')).toMatchObject({
    attempts: 3,
    evidence: {
      outcome: 'applied',
      probe: { target: 'incomplete' },
      verify: { target: 'complete', backupObjects: 42 },
    },
  });
  expect(final.steps.find((s) => s.id === 'backup-payments')?.evidence?.commands.slice(-1)).toEqual([
    `partition archive backup -slot 0 -partition ${label} -replace`,
  ]);
  expect(backups()).toContainEqual([label, 'payments', 42]);
  expect(assigned()).toEqual([]);
  await env.expectNoSecretsInHistory(id, ['not-the-partitions-domain']);
});

test('the operator aborts instead: the ceremony ends, the empty backup stays (named in the failure, to delete by hand), nothing else runs', async () => {
  const { sim, h } = env;
  process.env.TEST_BACKUP_DOMAIN = 'not-the-partitions-domain';
  try {
    const id = await env.start('backup', { partitions: 'tokens' });
    expect((await driveGates(h.ceremonies, id)).phase).toBe('needs-intervention');
    await h.ceremonies.resolve(id, {
      action: 'abort',
      by: OPERATOR,
      reason: 'the Backup HSM needs its domain checked first',
    });
    const final = await result(h.ceremonies, id);
    expect(final.phase).toBe('aborted');
    expect(final.steps.map((s) => [s.id, s.status])).toEqual([
      ['vpn', 'succeeded'],
      ['compatible', 'succeeded'],
      ['approve', 'succeeded'],
      ['register-workstation', 'succeeded'],
      ['visible-tokens', 'succeeded'],
      ['backup-tokens', 'aborted'],
      ['revoke-tokens', 'pending'],
      ['verify-tokens', 'pending'],
    ]);
    expect(backups()).toContainEqual([ceremonyBackupLabel('hsm-sim-1', 'tokens', id), 'tokens', 0]);
    expect(
      sim.backup.state
        .read()
        .audit.filter(
          (a) => a.command.includes(ceremonyBackupLabel('hsm-sim-1', 'tokens', id)) && a.command.endsWith('-replace'),
        ),
    ).toEqual([]);
  } finally {
    process.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
    // what the abort left: the assignment (the ceremony ended before its revoke step)
    env.sim.appliance.state.update((s) => void (s.clients = s.clients.map((c) => ({ ...c, partitions: [] }))));
  }
});

test('a partition already assigned to the workstation before the ceremony stays assigned', async () => {
  const { h } = env;
  env.sim.appliance.state.update((s) => void (s.clients = [backupWorkstationClient(['payments'])]));
  const id = await env.start('backup', { partitions: 'payments' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'visible-payments')?.evidence?.outcome).toBe('already-present');
  expect(final.steps.find((s) => s.id === 'revoke-payments')?.evidence).toMatchObject({
    outcome: 'already-present',
    probe: { kept: 'assigned before this ceremony' },
  });
  expect(assigned()).toEqual(['payments']);
});

test('backup under a standing pre-approval runs without a gate and records the approval it relied on', async () => {
  const { sim, h } = env;
  const id = await env.start('backup', { partitions: 'payments', standingApproval: 'nightly-backup' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions).toEqual([]);
  expect(final.steps.find((s) => s.id === 'standing-approval')?.evidence?.probe).toMatchObject({
    id: 'nightly-backup',
    approvedBy: ['alice@example.com', 'bob@example.com'],
    reference: 'CAB-2026-114',
    problems: [],
  });
  expect(sim.backup.state.read().backups.map((b) => b.label)).toContain(
    ceremonyBackupLabel('hsm-sim-1', 'payments', id),
  );
});

describe('backup schedules from the CLI', () => {
  beforeAll(() => {
    process.env.TEMPORAL_ADDRESS = env.h.config.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_TASK_QUEUE = env.h.config.TEMPORAL_TASK_QUEUE;
    process.env.CEREMONY_INVENTORY = env.sim.inventoryPath;
  });

  test('create, list, trigger a run (a standing-approved backup ceremony), pause, refuse bad input, delete', async () => {
    const { sim, h } = env;
    const bad = await cli(
      'schedule',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      'payments',
      '--every',
      'often',
      '--requester',
      'dave@example.com',
    );
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toContain('every: expected a duration such as "24h" or "7d", got "often"');

    const created = await cli(
      '--json',
      'schedule',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      'payments',
      '--every',
      '24h',
      '--requester',
      'dave@example.com',
      '--standing-approval',
      'nightly-backup',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ scheduleId: 'backup-hsm-sim-1' });
    const twice = await cli(
      'schedule',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      'payments',
      '--every',
      '24h',
      '--requester',
      'dave@example.com',
    );
    expect(twice.err).toContain('a backup schedule for hsm-sim-1 already exists');

    expect((await cli('schedule', 'trigger', 'backup-hsm-sim-1')).code).toBe(0);
    const runId = await firstScheduledRun('backup-hsm-sim-1');
    const run = await result(h.ceremonies, runId);
    expect(run).toMatchObject({ kind: 'backup', phase: 'completed', ticket: 'schedule:backup-hsm-sim-1' });
    expect(sim.backup.state.read().backups.map((b) => b.label)).toContain(
      ceremonyBackupLabel('hsm-sim-1', 'payments', runId),
    );

    expect((await cli('schedule', 'pause', 'backup-hsm-sim-1', '--reason', 'maintenance window')).out).toBe(
      'backup-hsm-sim-1 paused',
    );
    // the schedule list comes from visibility, which catches up a moment later
    let listed: { scheduleId: string; paused: boolean }[] = [];
    for (let i = 0; i < 100 && !listed.some((s) => s.scheduleId === 'backup-hsm-sim-1' && s.paused); i++) {
      listed = JSON.parse((await cli('--json', 'schedule', 'list')).out);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.find((s) => s.scheduleId === 'backup-hsm-sim-1')).toMatchObject({
      paused: true,
      every: '24h',
      hsm: 'hsm-sim-1',
    });
    expect((await cli('schedule', 'delete', 'backup-hsm-sim-1')).code).toBe(0);
    expect((await cli('schedule', 'show', 'backup-hsm-sim-1')).err).toBe('refused: no schedule backup-hsm-sim-1');
  });
});
