import { newLinkKeyEntry } from '../../ceremonies/approval-links';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { startMailCatcher, type MailCatcher } from '../../simulator/mail-catcher';
import { cli, firstScheduledRun } from '../support/cli';
import { driveGates } from '../support/drive';
import { result } from '../support/harness';
import { OPERATOR, REQUESTER, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { executed } from '../support/kill-drill';
import { initialiseDirectly, SECRETS } from '../support/simulated-hsm';

// restore and restore-drill end to end on the simulated appliance and backup workstation: a backup
// ceremony's backup restored into an empty partition; what cannot work refused before any gate;
// a drill under a standing approval proving the newest backup and clearing its scratch partition;
// a drill of an empty backup refused, and the people told.

let env: CeremonyEnv;
let mail: MailCatcher;
beforeAll(async () => {
  mail = await startMailCatcher();
  env = await startCeremonyEnv('restore', {
    config: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(mail.smtpPort), CEREMONY_LINK_KEYS: newLinkKeyEntry('k1') },
  });
  initialiseDirectly(env.sim, [
    { name: 'payments', objects: 42 },
    { name: 'tokens', objects: 7 },
    { name: 'restored', objects: 0 },
    { name: 'elsewhere', objects: 0 },
    { name: 'scratch', objects: 0 },
  ]);
  env.sim.partitionSecrets.elsewhere = { co: SECRETS.TEST_PARTITION_CO, domain: SECRETS.TEST_OTHER_DOMAIN };
});
afterAll(async () => {
  await env?.close();
  await mail?.close();
});

const objects = (partition: string) =>
  env.sim.appliance.state.read().partitions.find((p) => p.name === partition)?.objects;
const assigned = () => env.sim.appliance.state.read().clients.find((c) => c.name === 'backup-ws')?.partitions ?? [];
const restoresSince = (since: string) =>
  env.sim.backup.state.read().audit.filter((a) => a.at >= since && a.command.startsWith('partition archive restore'));

let label: string;

test('restore: a backup ceremony backs payments up; its backup is restored into an empty partition as its Crypto Officer, verified against the backup, and the partition revoked again', async () => {
  const { h } = env;
  const backupId = await env.start('backup', { partitions: 'payments' });
  expect((await driveGates(h.ceremonies, backupId)).phase).toBe('completed');
  label = ceremonyBackupLabel('hsm-sim-1', 'payments', backupId);

  const id = await env.start('restore', { partition: 'restored', backup: label, source: 'payments' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => s.id)).toEqual([
    'vpn',
    'compatible',
    'approve',
    'register-workstation',
    'visible-restored',
    'restore-restored',
    'revoke-restored',
    'verify-restored',
  ]);
  expect(final.decisions.map((d) => d.gate)).toEqual(['approve', 'approve']);
  expect(final.steps.find((s) => s.id === 'compatible')?.evidence?.probe).toMatchObject({
    label,
    backupObjects: 42,
    targetObjects: 0,
    domain: 'same reference',
    problems: [],
  });
  expect(final.steps.find((s) => s.id === 'restore-restored')?.evidence?.commands.slice(-1)).toEqual([
    `partition archive restore -slot 0 -partition ${label}`,
  ]);
  expect(final.steps.find((s) => s.id === 'verify-restored')?.evidence?.verify).toEqual({
    partition: 'payments',
    target: 'restored',
    label,
    backupObjects: 42,
    restoredObjects: 42,
  });
  expect(objects('restored')).toBe(42);
  expect(assigned()).toEqual([]);
  await env.expectNoSecretsInHistory(id);
});

test('a target of another cloning domain is refused before any gate: nobody is asked, nothing is restored', async () => {
  const since = new Date().toISOString();
  const id = await env.start('restore', { partition: 'elsewhere', backup: label, source: 'payments' });
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('refused');
  expect(final.refusedBy).toBe('compatible');
  expect(final.decisions).toEqual([]);
  expect(final.refusal).toContain(
    "the inventory gives partition elsewhere (hsms.hsm-sim-1.partitionCredentials.elsewhere.domain) another cloning domain than the backup's source partition payments",
  );
  expect(restoresSince(since)).toEqual([]);
  expect(objects('elsewhere')).toBe(0);
  await env.expectNoSecretsInHistory(id);
});

test('a target that already holds objects is refused without intoNonEmpty; with it, a gate of its own asks first, and the objects are added', async () => {
  const { h } = env;
  const refused = await result(
    h.ceremonies,
    await env.start('restore', { partition: 'tokens', backup: label, source: 'payments' }),
  );
  expect(refused).toMatchObject({ phase: 'refused', refusedBy: 'compatible', decisions: [] });
  expect(refused.refusal).toContain(
    "partition tokens already holds 7 objects: a restore adds the backup's objects to them",
  );
  expect(objects('tokens')).toBe(7);

  const id = await env.start('restore', {
    partition: 'tokens',
    backup: label,
    source: 'payments',
    intoNonEmpty: 'true',
  });
  const { plan } = await h.ceremonies.plan(id);
  expect(plan.steps.filter((s) => s.type === 'approval').map((s) => [s.id, s.title])).toEqual([
    ['approve', `Approve restoring ${label} (a backup of payments) into tokens (2 of security-officers)`],
    [
      'approve-into-non-empty',
      "Approve restoring into tokens although it already holds objects: the backup's objects are added to them (2 of security-officers)",
    ],
  ]);
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions.map((d) => d.gate)).toEqual([
    'approve',
    'approve',
    'approve-into-non-empty',
    'approve-into-non-empty',
  ]);
  expect(objects('tokens')).toBe(49);
  // the test's appliance goes back to what the next tests expect
  env.sim.appliance.state.update((s) => void (s.partitions.find((p) => p.name === 'tokens')!.objects = 7));
});

test('restore drill under a standing approval: the newest backup of payments is restored into the scratch partition, compared (the proof), and the scratch partition cleared; nobody is asked', async () => {
  const id = await env.start('restore-drill', { partitions: 'payments', standingApproval: 'weekly-drill' });
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions).toEqual([]);
  expect(final.steps.map((s) => [s.id, s.evidence?.op, s.status])).toEqual([
    ['vpn', 'vpn.check', 'succeeded'],
    ['ready-payments', 'restore.compatible', 'succeeded'],
    ['standing-approval', 'approval.standing', 'succeeded'],
    ['register-workstation', 'client.register', 'succeeded'],
    ['visible-payments', 'partition.assignClient', 'succeeded'],
    ['restore-payments', 'backup.restore', 'succeeded'],
    ['compare-payments', 'restore.verify', 'succeeded'],
    ['clear-payments', 'scratch.clear', 'succeeded'],
    ['revoke-payments', 'partition.revokeClient', 'succeeded'],
  ]);
  // the proof, as the contract between the helpers reads it
  expect(final.steps.find((s) => s.id === 'compare-payments')?.evidence?.verify).toMatchObject({
    partition: 'payments',
    label,
    backupObjects: 42,
    restoredObjects: 42,
  });
  expect(objects('scratch')).toBe(0);
  expect(executed(env.sim.backup.state, 'partition clear')).toBe(1);
  expect(assigned()).toEqual([]);
  await env.expectNoSecretsInHistory(id);
  // what an auditor reads (`ceremony backups`): the newest backup of payments, proven by this drill
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.h.config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: env.h.config.TEMPORAL_TASK_QUEUE,
  });
  const row = (await cli('backups', '--hsm', 'hsm-sim-1')).out
    .split('\n')
    .find((l) => l.startsWith('hsm-sim-1  payments'));
  expect(row).toContain(label);
  expect(row).toMatch(new RegExp(`proven by drill on \\d{4}-\\d\\d-\\d\\d \\(${id}\\)$`));
});

test('a drill of an empty backup fails before anything is restored: the ceremony is refused and the requester and operators are told', async () => {
  const since = new Date().toISOString();
  // what a cloning-domain mismatch leaves: an empty backup partition, the newest of tokens
  const empty = ceremonyBackupLabel('hsm-sim-1', 'tokens', 'an-earlier-backup');
  env.sim.backup.state.update((s) => {
    s.backups.push({
      label: empty,
      domain: SECRETS.TEST_PARTITION_DOMAIN,
      objects: 0,
      sourceSerial: '1500000000002',
      sourcePartition: 'tokens',
      sourceAppliance: 'hsm-sim-1',
      createdAt: new Date().toISOString(),
    });
  });
  const id = await env.start('restore-drill', { partitions: 'tokens', standingApproval: 'weekly-drill' });
  const final = await result(env.h.ceremonies, id);
  expect(final).toMatchObject({ phase: 'refused', refusedBy: 'ready-tokens', decisions: [] });
  expect(final.refusal).toContain(`backup ${empty} on onprem-backup holds no objects: there is nothing to restore`);
  expect(restoresSince(since)).toEqual([]);
  for (const person of [REQUESTER, OPERATOR]) {
    const told = await mail.waitFor(
      (m) => m.to.includes(person) && m.subject.includes('Ceremony refused') && m.text.includes(empty),
    );
    expect(told.subject).toContain('Restore drill of tokens');
  }
});

test('a drill of a partition that has no backup at all is refused the same way', async () => {
  const final = await result(env.h.ceremonies, await env.start('restore-drill', { partitions: 'vault' }));
  expect(final).toMatchObject({ phase: 'refused', refusedBy: 'ready-vault', decisions: [] });
  expect(final.refusal).toContain('the newest backup of vault is not on the Backup HSM of onprem-backup');
});

test('`ceremony schedule drill` makes a restore drill schedule: a triggered run is a standing-approved drill that proves the newest backup; the schedule is deleted', async () => {
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.h.config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: env.h.config.TEMPORAL_TASK_QUEUE,
    CEREMONY_INVENTORY: env.sim.inventoryPath,
  });
  const created = await cli(
    'schedule',
    'drill',
    '--hsm',
    'hsm-sim-1',
    '--partitions',
    'payments',
    '--every',
    '7d',
    '--requester',
    REQUESTER,
    '--standing-approval',
    'weekly-drill',
  );
  expect(created.code).toBe(0);
  expect(created.out).toMatch(
    /^schedule drill-hsm-sim-1 created: restores the newest backup of payments of hsm-sim-1 every 7d\nplan digest [0-9a-f]{64}$/,
  );
  // a drill of a scratch partition is refused as bad input, and nothing is created
  const bad = await cli(
    'schedule',
    'drill',
    '--hsm',
    'hsm-sim-1',
    '--partitions',
    'scratch',
    '--every',
    '7d',
    '--requester',
    REQUESTER,
  );
  expect(bad.code).toBe(1);
  expect(bad.err).toContain('scratch is one of hsms.hsm-sim-1.scratchPartitions: a scratch partition is not drilled');

  expect((await cli('schedule', 'trigger', 'drill-hsm-sim-1')).code).toBe(0);
  const run = await result(env.h.ceremonies, await firstScheduledRun('drill-hsm-sim-1'));
  expect(run).toMatchObject({
    kind: 'restore-drill',
    phase: 'completed',
    ticket: 'schedule:drill-hsm-sim-1',
    decisions: [],
  });
  expect(run.steps.find((s) => s.id === 'compare-payments')?.evidence?.verify).toMatchObject({
    partition: 'payments',
    label,
    backupObjects: 42,
    restoredObjects: 42,
  });
  expect((await cli('schedule', 'delete', 'drill-hsm-sim-1')).code).toBe(0);
  expect((await cli('schedule', 'show', 'drill-hsm-sim-1')).err).toBe('refused: no schedule drill-hsm-sim-1');
});
