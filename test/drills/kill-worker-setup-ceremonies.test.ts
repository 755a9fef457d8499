import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { executed, holdReply, runWithKills, WorkerUnderTest } from '../support/kill-drill';

// Drill: kill -9 the worker while each ceremony's effect is on the device (the device holds its
// reply), restart it, and check the device's own command log: each command ran exactly once.
// hsm-init, partition-create and backup, in order, on one fresh appliance. The re-initialisation
// and the backup of a wrong cloning domain: kill-worker-reinit-and-backup.test.ts (a file of its
// own, so the two run side by side).

let env: CeremonyEnv;
let worker: WorkerUnderTest;
beforeAll(async () => {
  env = await startCeremonyEnv('drill-kill-setup', { worker: false });
  worker = new WorkerUnderTest(env.h);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

const drills: {
  kind: 'hsm-init' | 'partition-create' | 'backup';
  params: Record<string, string>;
  device: 'appliance' | 'backup';
  command: string;
  step: string;
}[] = [
  { kind: 'hsm-init', params: { label: 'HSM1' }, device: 'appliance', command: 'hsm init', step: 'init' },
  {
    kind: 'partition-create',
    params: { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' },
    device: 'appliance',
    command: 'partition create',
    step: 'create',
  },
  {
    kind: 'backup',
    params: { partitions: 'payments' },
    device: 'backup',
    command: 'partition archive backup',
    step: 'backup-payments',
  },
];

test.each(drills)(
  '$kind: worker killed -9 during `$command`, restarted: completes, the command ran once',
  async ({ kind, params, device, command, step }) => {
    const target = env.sim[device];
    holdReply(target.faults, command);
    const id = await env.start(kind, params);
    const final = await runWithKills(env.h, worker, id, [
      { what: `${command} on the ${device}`, reached: () => executed(target.state, command) === 1 },
    ]);

    expect(final.phase).toBe('completed');
    expect(executed(target.state, command)).toBe(1);
    // the retried step found its effect through the probe instead of acting again
    expect(final.steps.find((s) => s.id === step)).toMatchObject({
      status: 'succeeded',
      evidence: { outcome: 'already-present' },
    });
    expect(final.steps.every((s) => s.status === 'succeeded')).toBe(true);
    await env.expectNoSecretsInHistory(id);
  },
);
