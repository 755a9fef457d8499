import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PolicyCheckInput } from '../activities/policy-check';
import type { TicketCommentInput } from '../activities/tickets/comment';
import type { NotificationInput, OperationEvidence, OperationInput } from '../activities/types';
import type { OperationStep } from '../ceremonies/plan';
import type { PolicySnapshot } from '../ceremonies/policy';
import { LOCAL_STEP_SUMMARY } from './messages';

// The activities the workflow calls, with their timeouts and retries.

export const { notify } = proxyActivities<{ notify(input: NotificationInput): Promise<void> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

type PolicyCheck = { checkPolicy(input: PolicyCheckInput): Promise<PolicySnapshot> };
const policyCheckOptions = { startToCloseTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' } } as const;
/** The policy check, a short read of the worker's own inventory: a local activity (no round trip
 * through the server before the first step), or an activity in a history from before local
 * activities (`LOCAL_ACTIVITIES_PATCH`). */
export function checkPolicy(input: PolicyCheckInput, local: boolean): Promise<PolicySnapshot> {
  return (local ? proxyLocalActivities<PolicyCheck>(policyCheckOptions) : proxyActivities<PolicyCheck>(policyCheckOptions)).checkPolicy(input);
}

export const { ticketComment } = proxyActivities<{ ticketComment(input: TicketCommentInput): Promise<string> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10, initialInterval: '1s', maximumInterval: '60s' },
});

type OperationActivities = Record<string, (input: OperationInput) => Promise<OperationEvidence>>;

/** The activity of an operation step (named as its operation), with the step's own timeouts. A
 * step the worker's policy check marked `local` (a short read) runs as a local activity: its
 * history record is a marker whose summary names the step (`step <id>`), which the audit reads. */
export function operationActivity(step: OperationStep, local: boolean): (input: OperationInput) => Promise<OperationEvidence> {
  const retry = { maximumAttempts: step.maxAttempts, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };
  if (local) return proxyLocalActivities<OperationActivities>({ startToCloseTimeout: step.timeout, retry, summary: `${LOCAL_STEP_SUMMARY}${step.id}` })[step.op];
  return proxyActivities<OperationActivities>({ startToCloseTimeout: step.timeout, heartbeatTimeout: step.heartbeatTimeout, retry })[step.op];
}
