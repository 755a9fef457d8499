import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { executed, runWithKills, WorkerUnderTest } from '../support/kill-drill';
import { initialiseDirectly } from '../support/simulated-hsm';

// Drill: kill -9 the worker between the firmware phases, while the appliance reboots onto the new
// appliance software (after `package update`, before `hsm firmware upgrade`), and restart it. The
// new worker resumes at the reboot (its probe sees the new software: no second reboot), then
// upgrades the firmware on that software; every irreversible command ran once, in the vendor's
// order. (Kills during `package update` and `hsm firmware upgrade` themselves:
// kill-worker-destructive-ceremonies.test.ts.) One kill point: each costs the reboot step's
// heartbeat timeout.

const file = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(500));

let env: CeremonyEnv;
let worker: WorkerUnderTest;
beforeAll(async () => {
  env = await startCeremonyEnv('drill-kill-firmware', { worker: false });
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 7, assignedToBackup: true }]);
  mkdirSync(join(env.sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(env.sim.dir, 'packages', file), content);
  worker = new WorkerUnderTest(env.h);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

test('firmware-upgrade: worker killed -9 while the appliance reboots onto the new software, restarted: resumes at the reboot without rebooting again, then upgrades the firmware once', async () => {
  const { appliance } = env.sim;
  appliance.faults.write({ rebootMs: 5000 });
  const id = await env.start('firmware-upgrade', {
    file,
    sha256: createHash('sha256').update(content).digest('hex'),
    authCode: 'Rd79MAGdG9EY5',
    targetFirmware: '7.8.4',
    partitions: 'payments',
    rebootWaitSeconds: '120',
    restartWaitSeconds: '30',
  });
  const final = await runWithKills(env.h, worker, id, [
    {
      what: 'the reboot after package update, before hsm firmware upgrade',
      reached: () =>
        executed(appliance.state, 'sysconf appliance reboot') === 1 &&
        executed(appliance.state, 'hsm firmware upgrade') === 0,
    },
  ]);

  expect(final.phase).toBe('completed');
  for (const command of ['package update', 'sysconf appliance reboot', 'hsm firmware upgrade'])
    expect(executed(appliance.state, command)).toBe(1);
  const step = (id: string) => final.steps.find((s) => s.id === id);
  expect(step('install')).toMatchObject({ status: 'succeeded', evidence: { outcome: 'applied' } });
  expect(step('reboot')).toMatchObject({
    status: 'succeeded',
    evidence: { outcome: 'already-present', verify: { software: '7.8.4-20' } },
  });
  expect(step('firmware')).toMatchObject({
    status: 'succeeded',
    evidence: { outcome: 'applied', probe: { current: '7.0.3', upgrade: '7.8.4' } },
  });
  expect(step('verify')).toMatchObject({
    status: 'succeeded',
    evidence: { probe: { firmware: '7.8.4', software: '7.8.4-20' } },
  });
  // the firmware went onto the new software only: the reboot comes before it in the device's log
  const audit = appliance.state
    .read()
    .audit.filter((a) => a.result === 0)
    .map((a) => a.command);
  expect(audit.findIndex((c) => c.startsWith('sysconf appliance reboot'))).toBeLessThan(
    audit.findIndex((c) => c.startsWith('hsm firmware upgrade')),
  );
  expect(appliance.state.read()).toMatchObject({
    firmware: '7.8.4',
    softwareVersion: '7.8.4-20',
    pendingSoftware: null,
  });
});
