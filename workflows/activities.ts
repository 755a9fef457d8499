import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PolicyCheckInput } from '../activities/policy-check';
import type { Activities, OperationActivities, OperationEvidence, OperationInput } from '../contract/activities';
import type { OperationName } from '../ceremonies/operations';
import type { OperationStep } from '../ceremonies/plan';
import type { PolicySnapshot } from '../ceremonies/policy';
import { LOCAL_STEP_SUMMARY } from './messages';

// The activities the workflow calls (contract/activities.ts), with their timeouts and retries.

export const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

const policyCheckOptions = {
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
} as const;
/** The policy check, a short read of the worker's own inventory: a local activity (no round trip
 * through the server before the first step), or an activity in a history from before local
 * activities (`LOCAL_ACTIVITIES_PATCH`). */
export function checkPolicy(input: PolicyCheckInput, local: boolean): Promise<PolicySnapshot> {
  return (
    local ? proxyLocalActivities<Activities>(policyCheckOptions) : proxyActivities<Activities>(policyCheckOptions)
  ).checkPolicy(input);
}

export const { ticketComment } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10, initialInterval: '1s', maximumInterval: '60s' },
});

/** Operation `op`'s activity among the proxied ones, typed by its name. */
function activityOf<N extends OperationName>(
  activities: OperationActivities,
  op: N,
): (input: OperationInput<N>) => Promise<OperationEvidence<N>> {
  return activities[op];
}

/** The activity of an operation step (named as its operation), with the step's own timeouts. A
 * step the worker's policy check marked `local` (a short read) runs as a local activity: its
 * history record is a marker whose summary names the step (`step <id>`), which the audit reads. */
export function operationActivity(
  step: OperationStep,
  local: boolean,
): (input: OperationInput) => Promise<OperationEvidence> {
  const retry = {
    maximumAttempts: step.maxAttempts,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
  };
  if (local)
    return activityOf(
      proxyLocalActivities<Activities>({
        startToCloseTimeout: step.timeout,
        retry,
        summary: `${LOCAL_STEP_SUMMARY}${step.id}`,
      }),
      step.op,
    );
  return activityOf(
    proxyActivities<Activities>({ startToCloseTimeout: step.timeout, heartbeatTimeout: step.heartbeatTimeout, retry }),
    step.op,
  );
}
