import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { initialiseDirectly, markLunaNetworkHsm, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// A session lost while the appliance runs a command: the next attempt (which learns from the
// activity's heartbeat details when the command was sent) tells "done", "still running" and "not
// started" apart before anything is sent again.

let sim: SimulatedHsm;
let activities: ReturnType<typeof createActivities>;

beforeEach(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim);
  markLunaNetworkHsm(sim.inventoryPath); // `hsm zeroize`: a unit of one's own, not Azure
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

/** Run an operation as an attempt of a step whose earlier attempt left these heartbeat details. */
function attempt(name: OperationName, heartbeatDetails?: { actAt: number }): Promise<OperationEvidence> {
  const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
  return new MockActivityEnvironment({ heartbeatDetails }, { logger: new DefaultLogger('ERROR') }).run(fn, {
    ceremonyId: 'c-1',
    kind: 'zeroize-deprovision',
    stepId: 's-1',
    op: name,
    hsm: 'hsm-sim-1',
    args: {},
  });
}

const zeroizes = () =>
  sim.appliance.state.read().audit.filter((a) => a.command.startsWith('hsm zeroize') && a.result === 0).length;

test('still running: the session is lost as the zeroize is sent; the next attempt waits for it and sends nothing', async () => {
  sim.appliance.faults.write({ applyLate: [{ match: 'hsm zeroize', ms: 3000, times: 1 }] });
  const sentAt = Date.now();
  await expect(attempt('hsm.zeroize')).rejects.toThrow(/lost during 'hsm zeroize'/);
  expect(sim.appliance.state.read().zeroized).toBe(false); // not yet: the appliance is still at it
  const resumed = await attempt('hsm.zeroize', { actAt: sentAt });
  expect(resumed).toMatchObject({ outcome: 'already-present', resumed: 'finished-after-loss', commands: [] });
  expect(sim.appliance.state.read().zeroized).toBe(true);
  expect(zeroizes()).toBe(1);
});

test('done: the effect is there when the next attempt probes', async () => {
  sim.appliance.faults.write({ dropConnection: [{ match: 'hsm zeroize', applied: true, times: 1 }] });
  const sentAt = Date.now();
  await expect(attempt('hsm.zeroize')).rejects.toThrow(/lost during 'hsm zeroize'/);
  expect(await attempt('hsm.zeroize', { actAt: sentAt })).toMatchObject({
    outcome: 'already-present',
    resumed: 'done-before-loss',
  });
  expect(zeroizes()).toBe(1);
});

test("not started: once the command's own time has passed with no effect, it is sent again", async () => {
  sim.appliance.faults.write({ dropConnection: [{ match: 'hsm zeroize', applied: false, times: 1 }] });
  await expect(attempt('hsm.zeroize')).rejects.toThrow(/lost during 'hsm zeroize'/);
  // the earlier attempt sent it longer ago than a zeroize may take (5 minutes)
  const longAgo = Date.now() - 6 * 60_000;
  expect(await attempt('hsm.zeroize', { actAt: longAgo })).toMatchObject({
    outcome: 'applied',
    resumed: 'not-started',
  });
  expect(zeroizes()).toBe(1);
});
