import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { startAzureArm, type AzureArm } from '../../simulator/azure-arm';
import { AZURE_RESOURCE_ID, initialiseDirectly, SECRETS } from '../support/simulated-hsm';

let env: CeremonyEnv;
let arm: AzureArm;
beforeAll(async () => {
  arm = await startAzureArm([AZURE_RESOURCE_ID]);
  env = await startCeremonyEnv('zeroize', {}, arm.env);
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 9, assignedToBackup: true }]);
});
afterAll(async () => {
  await env?.close();
  await arm?.close();
});

function operation(name: OperationName, args: Record<string, string | number>) {
  const op = createActivities({
    ledgerPath: join(env.sim.dir, 'l'),
    notifier: outboxNotifier(join(env.sim.dir, 'o')),
    inventoryPath: env.sim.inventoryPath,
    env: { ...SECRETS },
    azure: { endpoint: arm.endpoint, caFile: arm.caFile },
  })[name] as (input: OperationInput) => Promise<unknown>;
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
    .run(op, {
      ceremonyId: 'c',
      kind: 'zeroize-deprovision',
      stepId: 's',
      op: name,
      hsm: 'hsm-sim-1',
      args: { resourceId: AZURE_RESOURCE_ID, ...args },
    })
    .catch((err: ApplicationFailure) => err);
}
const deprovision = (args: Record<string, string | number> = {}) => operation('azure.deleteDedicatedHsm', args);
const serial = () => env.sim.appliance.state.read().serial;

test('the deprovision operation itself refuses while the HSM is not zeroized, and sends no DELETE', async () => {
  const failure = await deprovision();
  expect(failure).toMatchObject({ type: 'VerificationFailed', nonRetryable: true });
  expect((failure as Error).message).toContain(`refusing to delete ${AZURE_RESOURCE_ID}: the HSM is not zeroized`);
  expect(arm.requests.map((r) => r.method)).toEqual(['GET']);
  arm.requests.length = 0;
});

test('a deprovision that finds a DELETE in progress waits for it, and says so if the resource comes back instead', async () => {
  const key = AZURE_RESOURCE_ID.toLowerCase();
  env.sim.appliance.state.update((s) => void (s.zeroized = true));
  try {
    arm.resources.set(key, 'Deleting');
    // Azure gives up on that delete once the operation has seen it in progress and waits for it
    // (its probe's GET of the resource, then its own)
    const seen = arm.requests.length;
    const giveUp = setInterval(() => {
      const gets = arm.requests.slice(seen).filter((r) => r.method === 'GET' && r.path.toLowerCase() === key);
      if (gets.length >= 2) {
        arm.resources.set(key, 'Succeeded');
        clearInterval(giveUp);
      }
    }, 10);
    const failure = await deprovision({ pollMs: 100 }).finally(() => clearInterval(giveUp));
    expect(failure).toMatchObject({ type: 'AzureRequestFailed', nonRetryable: true });
    expect((failure as Error).message).toContain('the resource is Succeeded again: the DELETE did not go through');
    expect(arm.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  } finally {
    env.sim.appliance.state.update((s) => void (s.zeroized = false));
    arm.resources.set(key, 'Succeeded');
    arm.requests.length = 0;
  }
});

test('a deprovision whose resource is gone by the time it acts (an earlier DELETE finished after the probe) sends no DELETE', async () => {
  const key = AZURE_RESOURCE_ID.toLowerCase();
  env.sim.appliance.state.update((s) => void (s.zeroized = true));
  const seen = arm.requests.length;
  const finishes = setInterval(() => {
    if (arm.requests.slice(seen).some((r) => r.method === 'GET' && r.path.toLowerCase() === key)) {
      arm.resources.set(key, 'deleted');
      clearInterval(finishes);
    }
  }, 5);
  try {
    const evidence = await deprovision({ pollMs: 100 }).finally(() => clearInterval(finishes));
    expect(evidence).toMatchObject({
      commands: ['hsm show (zeroized)', `(${AZURE_RESOURCE_ID} already deleted: no DELETE sent)`],
    });
    expect(arm.requests.slice(seen).filter((r) => r.method === 'DELETE')).toEqual([]);
  } finally {
    env.sim.appliance.state.update((s) => void (s.zeroized = false));
    arm.resources.set(key, 'Succeeded');
    arm.requests.length = 0;
  }
});

test('the deprovision operation refuses a zeroized appliance whose serial is not the one the plan names, and sends no DELETE', async () => {
  env.sim.appliance.state.update((s) => void (s.zeroized = true));
  try {
    const failure = await deprovision({ serial: '999999' });
    expect(failure).toMatchObject({ type: 'VerificationFailed', nonRetryable: true });
    expect((failure as Error).message).toContain(
      `refusing to delete ${AZURE_RESOURCE_ID}: the appliance reports serial ${serial()}, the plan names 999999`,
    );
    expect(arm.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  } finally {
    env.sim.appliance.state.update((s) => void (s.zeroized = false));
    arm.requests.length = 0;
  }
});

test("the identity check: ARM's private IP for the resource is the appliance's address, and the appliance's serial the inventory's", async () => {
  expect(await operation('azure.matchesAppliance', { serial: serial() })).toMatchObject({
    outcome: 'checked',
    probe: { privateIps: ['127.0.0.1'], addresses: ['127.0.0.1'], serial: serial() },
  });
  const wrongSerial = await operation('azure.matchesAppliance', { serial: '999999' });
  expect((wrongSerial as Error).message).toBe(
    `azure.matchesAppliance: ${AZURE_RESOURCE_ID} may not be this appliance: the appliance reports serial ${serial()}, the plan names 999999`,
  );
  arm.privateIps.set(AZURE_RESOURCE_ID.toLowerCase(), '10.0.2.4');
  try {
    const elsewhere = await operation('azure.matchesAppliance', { serial: serial() });
    expect((elsewhere as Error).message).toContain(
      'ARM gives the resource 10.0.2.4, the worker reaches 127.0.0.1 (127.0.0.1)',
    );
  } finally {
    arm.privateIps.clear();
    arm.requests.length = 0;
  }
});

test('zeroize-deprovision stops before anything is kept or erased when the Azure resource is not this appliance', async () => {
  const { sim, h } = env;
  arm.privateIps.set(AZURE_RESOURCE_ID.toLowerCase(), '10.0.2.4');
  try {
    const id = await env.start('zeroize-deprovision', { waiver: 'test HSM without production keys' });
    const stopped = await driveGates(h.ceremonies, id);
    expect(stopped.phase).toBe('needs-intervention');
    expect(stopped.steps.find((s) => s.id === 'identity')?.error).toContain(
      'may not be this appliance: ARM gives the resource 10.0.2.4',
    );
    expect(
      stopped.steps.filter((s) => ['evidence', 'zeroize', 'deprovision'].includes(s.id)).map((s) => s.status),
    ).toEqual(['pending', 'pending', 'pending']);
    await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'wrong resource' });
    expect((await result(h.ceremonies, id)).phase).toBe('aborted');
    expect(sim.appliance.state.read().zeroized).toBe(false);
    expect(sim.appliance.state.read().audit.map((a) => a.command)).not.toContain(
      'syslog tail -logname messages -entries 500',
    );
    expect(arm.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  } finally {
    arm.privateIps.clear();
    arm.requests.length = 0;
  }
});

test('zeroize-deprovision refuses to start without a recent verified backup of every partition', async () => {
  const { sim, h } = env;
  const id = await env.start('zeroize-deprovision', { maxBackupAgeDays: '7' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps[0].error).toBe('CheckFailed: backup.recent: no verified backup newer than 7 days of: payments');
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'back up first' });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  expect(sim.appliance.state.read().zeroized).toBe(false);
  expect(arm.requests).toEqual([]);
});

test('zeroize-deprovision on an Azure Dedicated HSM: no hsm zeroize; the last failed SO login (proceed) loses its connection, the retry reads hsm show and sends nothing more; then ARM deletes the resource', async () => {
  const { sim, h } = env;
  const backup = await env.start('backup', { partitions: 'payments' });
  expect((await driveGates(h.ceremonies, backup)).phase).toBe('completed');

  // two failed HSM SO logins happened before (hsm show: 1 attempt left): the zeroize needs only the
  // last one; its connection drops after the HSM zeroized
  sim.appliance.state.update((s) => {
    s.zeroizeDisabled = true;
    s.hsmSoLoginAttemptsLeft = 1;
  });
  sim.appliance.faults.write({ dropConnection: [{ match: 'hsm login', applied: true, times: 1 }] });
  const id = await env.start('zeroize-deprovision', {});
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => [s.id, s.status])).toEqual([
    ['recent-backup', 'succeeded'],
    ['approve', 'succeeded'],
    ['identity', 'succeeded'],
    ['evidence', 'succeeded'],
    ['zeroize', 'succeeded'],
    ['verify-zeroized', 'succeeded'],
    ['deprovision', 'succeeded'],
  ]);
  const zeroize = final.steps.find((s) => s.id === 'zeroize')!;
  expect(zeroize).toMatchObject({ attempts: 1, evidence: { outcome: 'already-present' } }); // Temporal retried the activity
  const audit = sim.appliance.state.read().audit.map((a) => a.command);
  expect(audit).not.toContain('hsm zeroize');
  expect(audit.filter((c) => c === 'hsm login')).toHaveLength(1);
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: true, manuallyZeroized: false, partitions: [] });

  // the appliance's logs were kept before the zeroize: as they were, scrubbed, in the history
  const evidence = final.steps.find((s) => s.id === 'evidence')!.evidence!;
  expect(evidence.transcript?.map((t) => t.command)).toEqual([
    'syslog tail -logname messages -entries 500',
    'syslog tail -logname lunalogs -entries 500',
    'audit log list',
    `audit log tail -file hsm_${serial()}_00000001.log -entries 500`,
  ]);
  expect(evidence.transcript?.find((t) => t.command.includes('lunalogs'))?.output).toContain(
    'Command: client show -client backup-ws',
  );
  const zeroizedAt = sim.appliance.state.read().audit.findIndex((a) => a.command === 'hsm login');
  expect(sim.appliance.state.read().audit.findIndex((a) => a.command.startsWith('audit log tail'))).toBeLessThan(
    zeroizedAt,
  );

  const path = AZURE_RESOURCE_ID;
  expect(
    arm.requests.map((r) => [r.method, r.path.replace(/operationStatuses\/\w+/, 'operationStatuses/<op>')]),
  ).toEqual([
    ['GET', path], // the identity check
    ['GET', path],
    ['GET', path],
    ['DELETE', path],
    ['GET', '/providers/Microsoft.HardwareSecurityModules/locations/westeurope/operationStatuses/<op>'],
    ['GET', '/providers/Microsoft.HardwareSecurityModules/locations/westeurope/operationStatuses/<op>'],
    ['GET', path],
  ]);
  expect(arm.requests.every((r) => r.apiVersion === '2021-11-30' && r.bearer)).toBe(true);
  expect(arm.resources.get(path.toLowerCase())).toBe('deleted');
  await env.expectNoSecretsInHistory(id, [arm.token]);
});

test('a waiver replaces the backup precondition with its own gate', async () => {
  const { h } = env;
  const id = await env.start('zeroize-deprovision', { waiver: 'HSM never held production keys' });
  const { plan } = await h.ceremonies.plan(id);
  expect(plan.steps.map((s) => s.id)).toEqual([
    'approve-waiver',
    'approve',
    'identity',
    'evidence',
    'zeroize',
    'verify-zeroized',
    'deprovision',
  ]);
  expect(plan.steps.find((s) => s.id === 'deprovision')).toMatchObject({ requires: ['zeroize', 'verify-zeroized'] });
  await h.ceremonies.cancel(id, { by: OPERATOR, reason: 'plan check only' });
});

test('zeroize-deprovision on an Azure Dedicated HSM: three failed HSM SO logins, each after hsm show, proceed on the last, then the read-back', async () => {
  const { sim, h } = env;
  initialiseDirectly(sim, [{ name: 'payments', objects: 9, assignedToBackup: true }]);
  sim.appliance.state.update((s) => void (s.zeroizeDisabled = true));
  arm.resources.set(AZURE_RESOURCE_ID.toLowerCase(), 'Succeeded');
  const id = await env.start('zeroize-deprovision', { waiver: 'test HSM without production keys' });
  const final = await driveGates(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  const zeroize = final.steps.find((s) => s.id === 'zeroize')!;
  expect(zeroize.evidence).toMatchObject({
    outcome: 'applied',
    commands: [
      'hsm show',
      'hsm login (deliberately wrong password)',
      'hsm show',
      'hsm login (deliberately wrong password)',
      'hsm show',
      'hsm login (deliberately wrong password; proceed on the last attempt)',
      'hsm show',
    ],
  });
  const logins = zeroize.evidence!.transcript!.filter((t) => t.command === 'hsm login');
  expect(logins).toHaveLength(3);
  expect(logins[2].output).toContain("Type 'proceed' if you are certain you have the right");
  expect(zeroize.evidence!.transcript!.pop()?.output).toContain('HSM IS ZEROIZED');
  expect(sim.appliance.state.read().audit.map((a) => a.command)).not.toContain('hsm zeroize');
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: true, partitions: [] });
  await env.expectNoSecretsInHistory(id, [arm.token]);
});
