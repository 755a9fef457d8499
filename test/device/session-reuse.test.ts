import { loadInventory } from '../../ceremonies/inventory';
import { DeviceAccess, type DeviceSessions } from '../../activities/device/device-access';
import { PROCEED } from '../../activities/device/luna-constants';
import { LunaShell } from '../../activities/device/luna-shell';
import { SessionPool } from '../../activities/device/session-pool';
import { deviceOps, stepFailure } from '../support/device-ops';
import { initialiseDirectly, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// The worker's pool of appliance sessions, against the simulated appliance over SSH: which
// sessions a later device step may borrow, and which it must never see.

let sim: SimulatedHsm;
let sessions: DeviceSessions;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim, [{ name: 'payments', objects: 3 }]);
  sessions = new SessionPool<LunaShell>({ checkAfterMs: 0 });
});
afterEach(async () => {
  sessions.closeAll();
  await sim.close();
});

const access = () =>
  DeviceAccess.forHsm(loadInventory(sim.inventoryPath), 'hsm-sim-1', { env: sim.env }, undefined, sessions);
const adminLoginStatus = async (d: DeviceAccess) =>
  /HSM Admin login status\s*:\s*(.+)/.exec((await d.run('hsm show')).output)![1].trim();

test('device steps borrow the session an earlier step gave back: one login for three steps, each checked alive first', async () => {
  const op = deviceOps(sim, { sessions });
  for (let i = 0; i < 3; i++) expect(await op('hsm.show')).toMatchObject({ outcome: 'checked' });
  expect(sessions.counters).toMatchObject({ opened: 1, reused: 2, failedChecks: 0, discarded: 0 });
  expect(sessions.idleCount).toBe(1);
});

test("an HSM Administrator's login is never lent on: the next step gets a session of its own, not logged in", async () => {
  const first = access();
  await first.hsmLogin();
  expect(await adminLoginStatus(first)).toBe('Logged In');
  first.close();
  expect(sessions.idleCount).toBe(0);

  const next = access();
  expect(await adminLoginStatus(next)).toBe('Not Logged In');
  next.close();
  expect(sessions.counters).toMatchObject({ opened: 2, reused: 0, discarded: 1 });
});

test('a failed step closes its session; a step whose command failed is not given back either', async () => {
  sim.appliance.faults.write({ commandErrors: [{ match: 'hsm show', times: 1 }] });
  const op = deviceOps(sim, { sessions });
  await stepFailure(op('hsm.show'));
  expect(sessions.idleCount).toBe(0);
  expect(await op('hsm.show')).toMatchObject({ outcome: 'checked' });
  expect(sessions.counters).toMatchObject({ opened: 2, reused: 0, discarded: 1 });
});

test('a session the appliance closed while it waited (a reboot) is not used: the next step logs in again', async () => {
  const op = deviceOps(sim, { sessions });
  await op('hsm.show');
  expect(sessions.idleCount).toBe(1);
  sim.appliance.faults.write({ rebootMs: 200 });
  const other = DeviceAccess.forHsm(loadInventory(sim.inventoryPath), 'hsm-sim-1', { env: sim.env }); // not pooled
  await other.run('sysconf appliance reboot', { answers: [PROCEED], endsSession: true });
  other.close();
  await new Promise((r) => setTimeout(r, 600));
  expect(await op('hsm.show')).toMatchObject({ outcome: 'checked' });
  expect(sessions.counters).toMatchObject({ opened: 2, reused: 0 });
});

test('the session check: a live session answers an empty line with its prompt (and runs commands after it); a closed one does not', async () => {
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'tenantadmin',
    { password: String(sim.env.TEST_TENANTADMIN_PASSWORD) },
  );
  expect(await shell.ping(2000)).toBe(true);
  expect((await shell.run('hsm show')).code).toBe(0);
  shell.close();
  expect(shell.closed).toBe(true);
  expect(await shell.ping(2000)).toBe(false);
});
