import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { holdReply, holdZeroizingLogin, runWithKills, WorkerUnderTest } from '../support/kill-drill';
import { initialiseDirectly, SECRETS } from '../support/simulated-hsm';

// Drill: kill -9 the worker while an effect is on the device (the device holds its reply), restart
// it, and check the device's own command log. A re-initialisation of an initialised appliance (its
// zeroize: the last failed HSM SO login, as on Azure), then a backup whose cloning domain does not
// match. The first ceremonies of a fresh appliance: kill-worker-setup-ceremonies.test.ts.

let env: CeremonyEnv;
let worker: WorkerUnderTest;
beforeAll(async () => {
  env = await startCeremonyEnv('drill-kill-reinit', { worker: false });
  initialiseDirectly(env.sim);
  worker = new WorkerUnderTest(env.h);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

// hsm-init's irreversible step: the zeroize of a re-initialisation. The unit is an Azure Dedicated
// HSM (the test inventory's platform): it zeroizes by failed HSM SO logins, never `hsm zeroize`.
// Two failed logins happened before (hsm show: 1 attempt left), so the zeroize is the last one.
test('hsm-init re-initialisation on an Azure Dedicated HSM: worker killed -9 during the zeroizing (last) failed HSM SO login, restarted: completes, that login made once, no hsm zeroize', async () => {
  const { appliance } = env.sim;
  const { from, logins } = holdZeroizingLogin(appliance);
  const id = await env.start('hsm-init', { label: 'HSM2', reinit: 'true' });
  const final = await runWithKills(env.h, worker, id, [
    { what: 'the last failed hsm login', reached: () => logins().length === 1 },
  ]);

  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'zeroize')).toMatchObject({
    status: 'succeeded',
    evidence: { outcome: 'already-present' },
  });
  expect(final.steps.every((s) => s.status === 'succeeded')).toBe(true);
  // the zeroizing login, then the ones of the steps after hsm init (with the new SO's password)
  expect(
    appliance.state
      .read()
      .audit.slice(from)
      .map((a) => a.command),
  ).not.toContain('hsm zeroize');
  expect(
    appliance.state
      .read()
      .audit.slice(from)
      .findIndex((a) => a.command.startsWith('hsm init')),
  ).toBeGreaterThan(
    appliance.state
      .read()
      .audit.slice(from)
      .findIndex((a) => a.command === 'hsm login'),
  );
  expect(appliance.state.read()).toMatchObject({ label: 'HSM2', zeroized: false });
  await env.expectNoSecretsInHistory(id);
});

test('backup: worker killed -9 during a backup whose cloning domain does not match: the retry finds the empty backup partition, does not take it for a backup, and asks an operator; after the fix, a retry replaces it', async () => {
  const { sim, h } = env;
  initialiseDirectly(sim, [{ name: 'payments', objects: 5 }]);
  process.env.TEST_BACKUP_DOMAIN = 'not-the-partitions-domain';
  try {
    await worker.killAndRestart(); // the worker reads the partition's (wrong) domain from its environment (hsms.<hsm>.partitionCredentials.payments.domain)
    holdReply(sim.backup.faults, 'partition archive backup');
    const id = await env.start('backup', { partitions: 'payments' });
    const label = ceremonyBackupLabel('hsm-sim-1', 'payments', id);
    const made = () => sim.backup.state.read().backups.find((b) => b.label === label);
    const stopped = await runWithKills(h, worker, id, [
      { what: 'the backup partition on the Backup HSM', reached: () => made() !== undefined },
    ]);

    expect(stopped.phase).toBe('needs-intervention');
    expect(stopped.steps.find((s) => s.id === 'backup-payments')?.error).toContain(
      `IncompleteBackup: backup.partition on hsm-sim-1: backup ${label} on onprem-backup holds 0 of the 5 objects of partition payments: it is not a backup; retry`,
    );
    expect(made()?.objects).toBe(0);

    process.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
    await worker.killAndRestart(); // the operator corrected the partition's domain
    await h.ceremonies.resolve(id, {
      action: 'retry',
      by: OPERATOR,
      reason: "the partition's domain corrected: replace the empty backup partition",
    });
    const final = await driveGates(h.ceremonies, id, { timeoutMs: 120_000 });
    expect(final.phase).toBe('completed');
    expect(made()?.objects).toBe(5);
    const backups = sim.backup.state
      .read()
      .audit.filter((a) => a.command.startsWith(`partition archive backup -slot 0 -partition ${label}`));
    expect(backups.map((a) => [a.command.endsWith('-replace'), a.result])).toEqual([
      [false, 65535],
      [true, 0],
    ]);
    await env.expectNoSecretsInHistory(id, ['not-the-partitions-domain']);
  } finally {
    process.env.TEST_BACKUP_DOMAIN = SECRETS.TEST_BACKUP_DOMAIN;
  }
});
