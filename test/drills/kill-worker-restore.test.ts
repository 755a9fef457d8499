import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { executed, holdReply, runWithKills, WorkerUnderTest } from '../support/kill-drill';
import { initialiseDirectly, SECRETS } from '../support/simulated-hsm';

// Drill: kill -9 the worker while `partition archive restore` is answering (its objects already
// cloned), restart it, and check the backup workstation's own log: a restore, and a restore
// drill, each sent the restore once; the restarted worker found it done and went on.

let env: CeremonyEnv;
let worker: WorkerUnderTest;
const label = ceremonyBackupLabel('hsm-sim-1', 'payments', 'the-nightly-backup');
beforeAll(async () => {
  env = await startCeremonyEnv('drill-kill-restore', { worker: false });
  initialiseDirectly(env.sim, [
    { name: 'payments', objects: 42 },
    { name: 'restored', objects: 0 },
    { name: 'scratch', objects: 0 },
  ]);
  // the backup a backup ceremony made of payments (test/ceremonies/restore.test.ts makes one)
  env.sim.backup.state.update((s) => {
    s.backups.push({
      label,
      domain: SECRETS.TEST_PARTITION_DOMAIN,
      objects: 42,
      sourceSerial: '1500000000001',
      sourcePartition: 'payments',
      sourceAppliance: 'hsm-sim-1',
      createdAt: new Date().toISOString(),
    });
  });
  worker = new WorkerUnderTest(env.h);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

const objects = (partition: string) =>
  env.sim.appliance.state.read().partitions.find((p) => p.name === partition)?.objects;

test('restore: worker killed -9 during `partition archive restore`, restarted: completes, the restore was sent once', async () => {
  const { backup } = env.sim;
  holdReply(backup.faults, 'partition archive restore');
  const id = await env.start('restore', { partition: 'restored', backup: label, source: 'payments' });
  const final = await runWithKills(env.h, worker, id, [
    { what: 'partition archive restore', reached: () => executed(backup.state, 'partition archive restore') === 1 },
  ]);

  expect(final.phase).toBe('completed');
  expect(executed(backup.state, 'partition archive restore')).toBe(1);
  expect(final.steps.find((s) => s.id === 'restore-restored')).toMatchObject({
    status: 'succeeded',
    evidence: { outcome: 'already-present' },
  });
  expect(objects('restored')).toBe(42);
  await env.expectNoSecretsInHistory(id);
});

test('restore drill: worker killed -9 during its restore, restarted: the proof is recorded, the restore was sent once and the scratch partition cleared once', async () => {
  const { backup } = env.sim;
  const before = executed(backup.state, 'partition archive restore');
  holdReply(backup.faults, 'partition archive restore');
  const id = await env.start('restore-drill', { partitions: 'payments', standingApproval: 'weekly-drill' });
  const final = await runWithKills(env.h, worker, id, [
    {
      what: "the drill's partition archive restore",
      reached: () => executed(backup.state, 'partition archive restore') === before + 1,
    },
  ]);

  expect(final.phase).toBe('completed');
  expect(executed(backup.state, 'partition archive restore')).toBe(before + 1);
  expect(executed(backup.state, 'partition clear')).toBe(1);
  expect(final.steps.find((s) => s.id === 'restore-payments')?.evidence?.outcome).toBe('already-present');
  expect(final.steps.find((s) => s.id === 'compare-payments')?.evidence?.verify).toMatchObject({
    partition: 'payments',
    label,
    backupObjects: 42,
    restoredObjects: 42,
  });
  expect(objects('scratch')).toBe(0);
});
