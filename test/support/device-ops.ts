import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities, type ActivityDeps } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import type { SimulatedHsm } from './simulated-hsm';

/** The activities of a worker whose inventory is the simulated HSM's, and a way to run one
 * operation as a step of a ceremony would (outside a workflow). */
export function deviceOps(sim: SimulatedHsm, deps: Partial<ActivityDeps> = {}) {
  const activities = createActivities({
    ledgerPath: join(sim.dir, 'ledger.jsonl'),
    notifier: outboxNotifier(join(sim.dir, 'outbox.jsonl')),
    inventoryPath: sim.inventoryPath,
    packagesDir: join(sim.dir, 'packages'),
    env: sim.env,
    ...deps,
  });
  /** `step`: more of the step's input (the earlier steps' outcomes and state); `heartbeatDetails`:
   * what a lost earlier attempt left (e.g. `{ actAt }`: it was about to send its command). */
  return async (
    name: OperationName,
    args: OperationInput['args'] = {},
    step: Partial<OperationInput> & { heartbeatDetails?: unknown } = {},
  ): Promise<OperationEvidence> => {
    const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
    const { heartbeatDetails, ...input } = step;
    return new MockActivityEnvironment(heartbeatDetails === undefined ? undefined : { heartbeatDetails }, {
      logger: new DefaultLogger('ERROR'),
    }).run(fn, { ceremonyId: 'c-1', kind: 'rehearsal', stepId: 's-1', op: name, hsm: 'hsm-sim-1', args, ...input });
  };
}

/** The non-retryable failure a step would report. */
export async function stepFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof ApplicationFailure) return err;
  throw new Error(`expected a failure, got ${String(err)}`);
}
