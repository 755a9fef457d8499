import { Context } from '@temporalio/activity';
import { notifyActivity, type Notifier } from './notify';
import { OPERATIONS } from './ops';
import type { OperationDefinition } from './ops/operation';
import { runOperation } from './ops/run-operation';
import type { OperationEvidence, OperationInput } from './types';

export interface ActivityDeps {
  ledgerPath: string;
  notifier: Notifier;
}

function operationActivity(def: OperationDefinition, deps: ActivityDeps) {
  return async (input: OperationInput): Promise<OperationEvidence> => {
    const context = Context.current();
    return runOperation(
      def,
      {
        ceremonyId: input.ceremonyId,
        stepId: input.stepId,
        hsm: input.hsm,
        heartbeat: (details) => context.heartbeat(details),
        ledgerPath: deps.ledgerPath,
      },
      input.args,
    );
  };
}

/** All activities the worker registers: `notify` plus one per operation, named as the operation. */
export function createActivities(deps: ActivityDeps) {
  const activities: Record<string, (input: never) => Promise<unknown>> = { notify: notifyActivity(deps.notifier) };
  for (const def of OPERATIONS) activities[def.name] = operationActivity(def, deps);
  return activities;
}
