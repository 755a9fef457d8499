import type { OperationName } from '../../ceremonies/operations';
import { readFileSync, writeFileSync } from 'node:fs';
import { gate, result, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';
import { exportedHistoryText } from '../support/history';
import { CLIENT_CERTIFICATES, SECRETS, sha256Of, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

let sim: SimulatedHsm;
let h: Harness;
beforeAll(async () => {
  sim = await startSimulatedHsm('hsm-sim-1');
  Object.assign(process.env, SECRETS); // the worker resolves env: references from its environment
  h = await startHarness('device', { inventoryPath: sim.inventoryPath });
});
afterAll(async () => {
  await h?.stop();
  await sim?.close();
});

const device = (
  id: string,
  op: OperationName,
  args: Record<string, string | number> = {},
  extra: Record<string, unknown> = {},
) => ({ id, type: 'device', title: op, hsm: 'hsm-sim-1', op, args, ...extra }) as const;

test('a plan of Luna operations runs against the simulator over SSH, and no secret reaches the history', async () => {
  const plan = testPlan(
    [
      gate(),
      device('first-login', 'hsm.changeInitialPassword'),
      device('init', 'hsm.init', { label: 'HSM1' }),
      device('syslog', 'hsm.configureSyslog', { host: '10.0.0.9' }),
      device('partition', 'partition.create', { partition: 'payments' }),
      device('register-backup', 'client.register', {
        client: 'backup-ws',
        host: 'backup-ws.onprem.example',
        certSha256: sha256Of(CLIENT_CERTIFICATES['backup-ws']),
      }),
      device('assign-backup', 'partition.assignClient', {
        client: 'backup-ws',
        host: 'backup-ws.onprem.example',
        partition: 'payments',
      }),
      device('backup', 'backup.partition', { partition: 'payments', label: 'ceremony-payments' }),
      device('verify-backup', 'backup.verify', { partition: 'payments', label: 'ceremony-payments' }),
      device('zeroize', 'hsm.zeroize', {}, { irreversible: true }),
    ],
    { hsm: 'hsm-sim-1' },
  );
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: 'alice@example.com', planDigest: open.planDigest });
  await h.ceremonies.approve(id, { gate: 'approve', approver: 'bob@example.com', planDigest: open.planDigest });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.slice(1).map((s) => [s.id, s.evidence?.outcome])).toEqual([
    ['first-login', 'applied'],
    ['init', 'applied'],
    ['syslog', 'applied'],
    ['partition', 'applied'],
    ['register-backup', 'applied'],
    ['assign-backup', 'applied'],
    ['backup', 'applied'],
    ['verify-backup', 'checked'],
    ['zeroize', 'applied'],
  ]);
  expect(final.steps.find((s) => s.id === 'init')?.evidence?.transcript?.map((t) => t.command)).toEqual([
    'hsm show',
    'hsm init -label HSM1',
    'hsm show',
  ]);
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: true, partitions: [] });
  expect(sim.backup.state.read().backups.map((b) => b.label)).toEqual(['ceremony-payments']);

  const history = await exportedHistoryText(h.ceremonies, id);
  expect(history).toContain('hsm init -label HSM1'); // the scan reads decoded payloads
  for (const secret of Object.values(SECRETS)) expect(history).not.toContain(secret);
});

test('a pinned host key mismatch is not retried: the step goes straight to intervention', async () => {
  const other = await startSimulatedHsm('hsm-sim-1'); // same name, another appliance and key
  try {
    const plan = testPlan([device('show', 'hsm.show')], { hsm: 'hsm-sim-1' });
    // point the worker's inventory at the other appliance's port, still pinning the first key
    const original = readFileSync(sim.inventoryPath, 'utf8');
    writeFileSync(sim.inventoryPath, original.replace(`port: ${sim.appliance.port}`, `port: ${other.appliance.port}`));
    try {
      const id = await h.start(plan);
      const status = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'needs-intervention');
      expect(status.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
      expect(status.steps[0].error).toContain(
        `HostKeyMismatch: hsm.show on hsm-sim-1: host key mismatch for 127.0.0.1:${other.appliance.port}: the inventory pins ${sim.appliance.fingerprint}, the appliance presented ${other.appliance.fingerprint}`,
      );
      await h.ceremonies.resolve(id, {
        action: 'abort',
        by: 'operator@example.com',
        reason: 'wrong appliance on that address',
      });
      expect((await result(h.ceremonies, id)).phase).toBe('aborted');
      expect(other.appliance.state.read().audit).toEqual([]);
    } finally {
      writeFileSync(sim.inventoryPath, original);
    }
  } finally {
    await other.close();
  }
});
