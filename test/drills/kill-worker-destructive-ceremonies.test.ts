import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAzureArm, type AzureArm } from '../../simulator/azure-arm';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { executed, holdReply, holdZeroizingLogin, runWithKills, WorkerUnderTest } from '../support/kill-drill';
import { AZURE_RESOURCE_ID, initialiseDirectly } from '../support/simulated-hsm';

// Drill: kill -9 the worker during each irreversible step of firmware-upgrade and
// zeroize-deprovision, restart it, and check the device's (and Azure's) own log: each
// irreversible command ran exactly once (on Azure, the zeroize is the last failed HSM SO login).

const file = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(500));

let env: CeremonyEnv;
let arm: AzureArm;
let worker: WorkerUnderTest;
beforeAll(async () => {
  arm = await startAzureArm([AZURE_RESOURCE_ID]);
  env = await startCeremonyEnv('drill-kill-destructive', { worker: false }, arm.env);
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 7, assignedToBackup: true }]);
  mkdirSync(join(env.sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(env.sim.dir, 'packages', file), content);
  worker = new WorkerUnderTest(env.h);
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
  await arm?.close();
});

test('firmware-upgrade: worker killed -9 during `package update` and again during `hsm firmware upgrade`, restarted: completes, each ran once', async () => {
  const { appliance } = env.sim;
  appliance.faults.write({ rebootMs: 200 });
  holdReply(appliance.faults, 'package update');
  holdReply(appliance.faults, 'hsm firmware upgrade');
  const id = await env.start('firmware-upgrade', {
    file,
    sha256: createHash('sha256').update(content).digest('hex'),
    authCode: 'Rd79MAGdG9EY5',
    targetFirmware: '7.8.4',
    partitions: 'payments',
    rebootWaitSeconds: '10',
  });
  const final = await runWithKills(env.h, worker, id, [
    { what: 'package update', reached: () => executed(appliance.state, 'package update') === 1 },
    { what: 'hsm firmware upgrade', reached: () => executed(appliance.state, 'hsm firmware upgrade') === 1 },
  ]);

  expect(final.phase).toBe('completed');
  for (const command of ['package update', 'hsm firmware upgrade', 'sysconf appliance reboot'])
    expect(executed(appliance.state, command)).toBe(1);
  for (const step of ['install', 'firmware'])
    expect(final.steps.find((s) => s.id === step)).toMatchObject({
      status: 'succeeded',
      evidence: { outcome: 'already-present' },
    });
  expect(appliance.state.read()).toMatchObject({ firmware: '7.8.4', softwareVersion: '7.8.4-20' });
  await env.expectNoSecretsInHistory(id);
});

test('zeroize-deprovision on an Azure Dedicated HSM: worker killed -9 during the zeroizing (last) failed HSM SO login and again during the ARM DELETE: one login, no hsm zeroize, one DELETE', async () => {
  const { appliance } = env.sim;
  // two failed HSM SO logins before the ceremony (hsm show: 1 attempt left): the zeroize needs the
  // last one only, with `proceed`; the worker is killed while it is in flight (`logins()` counts from
  // here: the firmware upgrade logged in as HSM SO before)
  const { logins } = holdZeroizingLogin(appliance);
  // Azure is still deleting when the retry comes (after the 15 s heartbeat timeout), however slow
  // this machine is: the DELETE finishes once two requests have arrived 5 s or more after it (the
  // killed attempt is gone by then: only the retry asks; its probe, then its own look or poll)
  arm.deleteMs = 600_000;
  const deletes = () => arm.requests.filter((r) => r.method === 'DELETE').length;
  let sentAt: number | undefined;
  let seenBy: number | undefined;
  const retryArrived = setInterval(() => {
    if (sentAt === undefined && deletes() === 1) sentAt = Date.now();
    if (sentAt !== undefined && seenBy === undefined && Date.now() - sentAt >= 5000) seenBy = arm.requests.length;
    if (seenBy !== undefined && arm.requests.length >= seenBy + 2) {
      arm.finishDeletes();
      clearInterval(retryArrived);
    }
  }, 50);
  const id = await env.start('zeroize-deprovision', {});
  const final = await runWithKills(env.h, worker, id, [
    { what: 'the last failed hsm login', reached: () => appliance.state.read().zeroized },
    { what: 'the ARM DELETE', reached: () => deletes() === 1 },
  ]).finally(() => clearInterval(retryArrived));

  expect({ phase: final.phase, failed: final.steps.filter((s) => s.error).map((s) => `${s.id}: ${s.error}`) }).toEqual({
    phase: 'completed',
    failed: [],
  });
  expect(logins()).toHaveLength(1);
  expect(appliance.state.read().audit.map((a) => a.command)).not.toContain('hsm zeroize');
  expect(deletes()).toBe(1);
  expect(final.steps.find((s) => s.id === 'zeroize')).toMatchObject({
    status: 'succeeded',
    evidence: { outcome: 'already-present' },
  });
  // the retry found Azure still deleting and waited for that DELETE instead of sending another:
  // knowing from the killed attempt's heartbeat when it was sent (resumed), or, when that record
  // did not reach the server, from the operation's own check of a DELETE in progress
  const deprovision = final.steps.find((s) => s.id === 'deprovision')?.evidence;
  expect(
    deprovision?.resumed === 'finished-after-loss' ||
      deprovision?.commands.includes(`(DELETE ${AZURE_RESOURCE_ID} already in progress: waited for it)`),
  ).toBe(true);
  expect(arm.resources.get(AZURE_RESOURCE_ID.toLowerCase())).toBe('deleted');
  expect(appliance.state.read()).toMatchObject({ zeroized: true, partitions: [] });
  await env.expectNoSecretsInHistory(id, [arm.token]);
});
