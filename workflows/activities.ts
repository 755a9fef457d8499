import { proxyActivities } from '@temporalio/workflow';
import type { PolicyCheckInput } from '../activities/policy-check';
import type { TicketCommentInput } from '../activities/tickets/comment';
import type { NotificationInput, OperationEvidence, OperationInput } from '../activities/types';
import type { OperationStep } from '../ceremonies/plan';
import type { PolicySnapshot } from '../ceremonies/policy';

// The activities the workflow calls, with their timeouts and retries.

export const { notify } = proxyActivities<{ notify(input: NotificationInput): Promise<void> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

export const { checkPolicy } = proxyActivities<{ checkPolicy(input: PolicyCheckInput): Promise<PolicySnapshot> }>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

export const { ticketComment } = proxyActivities<{ ticketComment(input: TicketCommentInput): Promise<string> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10, initialInterval: '1s', maximumInterval: '60s' },
});

/** The activity of an operation step (named as its operation), with the step's own timeouts. */
export function operationActivity(step: OperationStep): (input: OperationInput) => Promise<OperationEvidence> {
  return proxyActivities<Record<string, (input: OperationInput) => Promise<OperationEvidence>>>({
    startToCloseTimeout: step.timeout,
    heartbeatTimeout: step.heartbeatTimeout,
    retry: { maximumAttempts: step.maxAttempts, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  })[step.op];
}
