import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly } from '../support/simulated-hsm';
import { result } from '../support/harness';
import { cli } from '../support/cli';
import { buildWebServer } from '../../web/server';

// Retention on the simulated Backup HSM: real backups made by a backup ceremony, and older ones
// seeded with dated names (as a backup ceremony names them), then retention lists them from the
// device, asks the approvers, and deletes what is past 30 days and not protected.

let env: CeremonyEnv;
const HSM = 'hsm-sim-1';
const RETENTION_DAYS = 30;
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
const old = (partition: string, age: number) =>
  ceremonyBackupLabel(HSM, partition, `ceremony-jira-OLD-${partition}-${age}`, daysAgo(age));

beforeAll(async () => {
  env = await startCeremonyEnv('backup-retention');
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.h.config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: env.h.config.TEMPORAL_TASK_QUEUE,
  });
  initialiseDirectly(env.sim, [
    { name: 'payments', objects: 42 },
    { name: 'vault', objects: 5 },
  ]);
  const inventory = parse(readFileSync(env.sim.inventoryPath, 'utf8'));
  inventory.hsms[HSM].backupRetentionDays = RETENTION_DAYS;
  writeFileSync(env.sim.inventoryPath, stringify(inventory));
});
afterAll(async () => {
  await env?.close();
});

const labels = () =>
  env.sim.backup.state
    .read()
    .backups.map((b) => b.label)
    .sort();
const seed = (backups: { label: string; objects: number; partition: string }[]) =>
  env.sim.backup.state.update((s) => {
    for (const b of backups)
      s.backups.push({
        label: b.label,
        domain: '',
        objects: b.objects,
        sourceSerial: '',
        sourcePartition: b.partition,
        sourceAppliance: HSM,
        createdAt: new Date().toISOString(),
      });
  });
const deletes = (since: string) =>
  env.sim.backup.state
    .read()
    .audit.filter((a) => a.at >= since && a.command.startsWith('partition archive delete'))
    .map((a) => a.command);

test('retention lists the backups from the Backup HSM, and once approved deletes exactly those past it: never the newest complete one, though past it; a second run finds nothing and asks nobody', async () => {
  const { h } = env;
  // today's backup of payments, made and verified by a backup ceremony
  const backupId = await env.start('backup', { partitions: 'payments' });
  expect((await driveGates(h.ceremonies, backupId)).phase).toBe('completed');
  const today = ceremonyBackupLabel(HSM, 'payments', backupId);
  seed([
    { label: old('payments', 10), objects: 42, partition: 'payments' },
    { label: old('payments', 45), objects: 42, partition: 'payments' },
    { label: old('payments', 400), objects: 40, partition: 'payments' },
    // vault's newest backup is empty (a domain mismatch leaves one): the newest complete one is older, and past the retention
    { label: old('vault', 60), objects: 0, partition: 'vault' },
    { label: old('vault', 90), objects: 5, partition: 'vault' },
    { label: old('vault', 120), objects: 5, partition: 'vault' },
    { label: 'made-by-hand', objects: 42, partition: 'payments' },
  ]);
  const since = new Date().toISOString();

  const id = await env.start('backup-retention', { partitions: 'payments,vault' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  // before the gate, the evidence says which would go and why each other stays
  const listed = final.steps.find((s) => s.id === 'candidates')!.evidence!;
  expect(listed.outcome).toBe('absent');
  const why = (listed.probe.partitions as { backups: { label: string; delete: boolean; reason: string }[] }[]).flatMap(
    (p) => p.backups.map((b) => [b.label, b.delete, b.reason]),
  );
  expect(why).toEqual([
    [today, false, 'the newest complete backup of payments'],
    [old('payments', 10), false, 'within the retention (10 days old, kept 30)'],
    [old('payments', 45), true, 'past the retention (45 days old, kept 30)'],
    [old('payments', 400), true, 'past the retention (400 days old, kept 30)'],
    [old('vault', 60), true, 'past the retention (60 days old, kept 30)'],
    [old('vault', 90), false, 'the newest complete backup of vault'],
    [old('vault', 120), true, 'past the retention (120 days old, kept 30)'],
  ]);
  expect(final.steps.map((s) => [s.id, s.status])).toEqual([
    ['vpn', 'succeeded'],
    ['candidates', 'succeeded'],
    ['approve', 'succeeded'],
    ['delete-expired', 'succeeded'],
  ]);
  // each deleted once, as the Backup HSM's SO; the rest are still there
  expect(deletes(since)).toEqual(
    [old('payments', 45), old('payments', 400), old('vault', 60), old('vault', 120)].map(
      (l) => `partition archive delete -slot 0 -partition ${l}`,
    ),
  );
  expect(labels()).toEqual([today, old('payments', 10), old('vault', 90), 'made-by-hand'].sort());
  expect(final.steps.find((s) => s.id === 'delete-expired')!.evidence!.outcome).toBe('applied');
  await env.expectNoSecretsInHistory(id);

  // what an auditor sees: the CLI and the dashboard name each partition's last backup, and that
  // no drill has proven it (vault was never backed up by a ceremony: its backups were seeded)
  const listedByCli = await cli('backups', '--hsm', HSM);
  expect(listedByCli.code).toBe(0);
  const row = listedByCli.out.split('\n').find((l) => l.startsWith(`${HSM}  payments`));
  expect(row).toContain(today);
  expect(row).toMatch(/never\s+not proven$/);
  expect(listedByCli.out).not.toContain('vault');
  const json = JSON.parse((await cli('--json', 'backups', '--hsm', HSM)).out);
  expect(json).toEqual([
    {
      hsm: HSM,
      partitions: [
        {
          partition: 'payments',
          lastBackup: { ceremonyId: backupId, at: expect.any(String), label: today, objects: 42 },
          provenLabels: [],
          verified: [{ label: today, objects: 42 }],
        },
      ],
      read: { ceremonies: 1, limit: 100, truncated: false },
    },
  ]);
  const web = await buildWebServer({ ceremonies: h.ceremonies });
  try {
    const page = await web.inject({ method: 'GET', url: '/backups' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(
      new RegExp(
        `<tr data-partition="${HSM}/payments">[\\s\\S]*<code>${today}</code>[\\s\\S]*never[\\s\\S]*not proven</span></td></tr>`,
      ),
    );
    expect((await web.inject({ method: 'GET', url: '/' })).body).toContain('href="/backups"');
  } finally {
    await web.close();
  }

  // nothing past the retention any more: the ceremony ends after the listing, no gate opens
  const again = await env.start('backup-retention', { partitions: 'payments,vault' });
  const done = await result(h.ceremonies, again);
  expect(done.phase).toBe('completed');
  expect(done.decisions).toEqual([]);
  expect(done.steps.map((s) => [s.id, s.status])).toEqual([
    ['vpn', 'succeeded'],
    ['candidates', 'succeeded'],
    ['approve', 'skipped'],
    ['delete-expired', 'skipped'],
  ]);
});

test('a list of backups the worker cannot read fails the listing: nothing is deleted, nobody is asked, an operator decides', async () => {
  const { sim, h } = env;
  seed([{ label: old('payments', 200), objects: 42, partition: 'payments' }]);
  const before = labels();
  const since = new Date().toISOString();
  sim.backup.faults.write({
    garbleOutput: [{ match: 'partition archive list', with: '   Backup partitions: (layout changed in this release)' }],
  });
  try {
    const id = await env.start('backup-retention', { partitions: 'payments' });
    const stopped = await driveGates(h.ceremonies, id);
    expect(stopped.phase).toBe('needs-intervention');
    expect(stopped.steps.find((s) => s.id === 'candidates')).toMatchObject({ status: 'failed' });
    expect(stopped.steps.find((s) => s.id === 'candidates')!.error).toContain('UnreadableOutput');
    expect(stopped.decisions).toEqual([]);
    await h.ceremonies.resolve(id, {
      action: 'abort',
      by: OPERATOR,
      reason: 'the Backup HSM list is checked by hand first',
    });
    expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  } finally {
    sim.backup.faults.write({ garbleOutput: [] });
  }
  expect(labels()).toEqual(before);
  expect(deletes(since)).toEqual([]);
});
