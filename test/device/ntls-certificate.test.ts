import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { initialiseDirectly, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// hsm-init's NTLS step and reboot-patch check, on the simulated appliance over SSH: the server.pem a
// client fetches is made for the unit's address, NTLS is restarted with it, a second run changes
// nothing, and an attempt lost between `sysconf regenCert` and `service restart ntls` is finished
// by the next one without a second certificate.

let sim: SimulatedHsm;
let activities: ReturnType<typeof createActivities>;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim);
  activities = createActivities({
    ledgerPath: join(sim.dir, 'ledger.jsonl'),
    notifier: outboxNotifier(join(sim.dir, 'outbox.jsonl')),
    inventoryPath: sim.inventoryPath,
    env: sim.env,
  });
});
afterEach(async () => {
  await sim.close();
});

function attempt(
  name: OperationName,
  args: OperationInput['args'] = {},
  heartbeatDetails?: { actAt: number },
): Promise<OperationEvidence> {
  const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
  return new MockActivityEnvironment({ heartbeatDetails }, { logger: new DefaultLogger('ERROR') }).run(fn, {
    ceremonyId: 'c-1',
    kind: 'hsm-init',
    stepId: 's-1',
    op: name,
    hsm: 'hsm-sim-1',
    args,
  });
}

const regenerations = () =>
  sim.appliance.state.read().audit.filter((a) => a.command.startsWith('sysconf regenCert') && a.result === 0).length;

test('the delivered server.pem does not name the unit: it is regenerated for 127.0.0.1, NTLS bound and restarted with it; a second run sends nothing', async () => {
  const first = await attempt('ntls.certificateForUnit', { device: 'eth0' });
  expect(first).toMatchObject({
    outcome: 'applied',
    commands: ['sysconf regenCert', 'ntls bind eth0', 'service restart ntls'],
    probe: { namesUnit: false, names: ['hsm-sim-1', 'hsm-sim-1'] },
  });
  const state = sim.appliance.state.read();
  const cert = new X509Certificate(state.serverCertificate!);
  expect(first.verify).toMatchObject({ namesUnit: true, address: '127.0.0.1', fingerprintSha256: cert.fingerprint256 });
  expect(state.ntls.serving).toEqual({ certificate: state.serverCertificate, binding: 'eth0' });

  expect(await attempt('ntls.certificateForUnit', { device: 'eth0' })).toMatchObject({
    outcome: 'already-present',
    commands: [],
  });
  expect(regenerations()).toBe(1);
});

test('an attempt lost after sysconf regenCert: the next one binds and restarts NTLS, and regenerates nothing', async () => {
  sim.appliance.faults.write({ dropConnection: [{ match: 'ntls bind', applied: false, times: 1 }] });
  const sentAt = Date.now();
  await expect(attempt('ntls.certificateForUnit', { device: 'eth0' })).rejects.toThrow();
  const regenerated = sim.appliance.state.read();
  expect(regenerated.ntls.serving).toBeNull(); // server.pem names the unit, but NTLS still runs as delivered
  expect(new X509Certificate(regenerated.serverCertificate!).subjectAltName).toContain('IP Address:127.0.0.1');

  const resumed = await attempt('ntls.certificateForUnit', { device: 'eth0' }, { actAt: sentAt });
  expect(resumed).toMatchObject({ outcome: 'applied', commands: ['ntls bind eth0', 'service restart ntls'] });
  const state = sim.appliance.state.read();
  expect(state.serverCertificate).toBe(regenerated.serverCertificate);
  expect(state.ntls.serving).toEqual({ certificate: state.serverCertificate, binding: 'eth0' });
  expect(regenerations()).toBe(1);
});

test('the reboot patch: checked below appliance software 7.7.0 only, where package list must show it', async () => {
  expect(await attempt('appliance.rebootPatch')).toMatchObject({
    outcome: 'checked',
    probe: { software: '7.4.0-226', applies: true, rebootPatch: ['lunasa-reboot-patch-3'] },
  });
  sim.appliance.state.update((s) => void Object.assign(s, { packages: [], softwareVersion: '7.8.4-20' }));
  expect(await attempt('appliance.rebootPatch')).toMatchObject({
    outcome: 'checked',
    probe: { software: '7.8.4-20', applies: false },
  });
  sim.appliance.state.update((s) => void Object.assign(s, { softwareVersion: '7.2.0-220' }));
  await expect(attempt('appliance.rebootPatch')).rejects.toThrow(
    /Luna Network HSM 7 Reboot Patch \(lunasa-reboot-patch\) is not installed .*KB0019789/,
  );
});
