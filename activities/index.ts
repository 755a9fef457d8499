import { Context } from '@temporalio/activity';
import { loadInventory } from '../ceremonies/inventory';
import { DeviceAccess } from './device/device-access';
import { DeviceError } from './device/errors';
import { SecretUnavailable } from './device/secrets';
import { nonRetryable } from './errors';
import { notifyActivity, type Notifier } from './notify';
import { OPERATIONS } from './ops';
import type { OperationDefinition } from './ops/operation';
import { runOperation } from './ops/run-operation';
import type { OperationEvidence, OperationInput } from './types';

export interface ActivityDeps {
  ledgerPath: string;
  notifier: Notifier;
  /** Inventory YAML (read at each device step, so edits apply without a worker restart). */
  inventoryPath?: string;
  packagesDir?: string;
  env?: NodeJS.ProcessEnv;
}

function operationActivity(def: OperationDefinition, deps: ActivityDeps) {
  return async (input: OperationInput): Promise<OperationEvidence> => {
    const context = Context.current();
    let device: DeviceAccess | undefined;
    const openDevice = () => {
      if (!input.hsm) throw new SecretUnavailable(`${def.name} needs a target HSM (a device step)`);
      if (!deps.inventoryPath) throw new SecretUnavailable('the worker has no inventory (CEREMONY_INVENTORY)');
      device ??= DeviceAccess.fromInventory(loadInventory(deps.inventoryPath), input.hsm, deps.env);
      return device;
    };
    try {
      const evidence = await runOperation(
        def,
        {
          ceremonyId: input.ceremonyId,
          stepId: input.stepId,
          hsm: input.hsm,
          heartbeat: (details) => context.heartbeat(details),
          ledgerPath: deps.ledgerPath,
          packagesDir: deps.packagesDir ?? 'packages',
          device: openDevice,
        },
        input.args,
      );
      return device ? { ...evidence, transcript: device.transcript } : evidence;
    } catch (err) {
      if (err instanceof DeviceError || err instanceof SecretUnavailable) {
        throw nonRetryable(err.name, `${def.name} on ${input.hsm}: ${err.message}`, device ? { transcript: device.transcript } : undefined);
      }
      throw err;
    } finally {
      device?.close();
    }
  };
}

/** All activities the worker registers: `notify` plus one per operation, named as the operation. */
export function createActivities(deps: ActivityDeps) {
  const activities: Record<string, (input: never) => Promise<unknown>> = { notify: notifyActivity(deps.notifier) };
  for (const def of OPERATIONS) activities[def.name] = operationActivity(def, deps);
  return activities;
}
