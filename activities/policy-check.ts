import { canonicalJson } from '../ceremonies/digest';
import { commandTimeoutMs, isOperationName } from '../ceremonies/operations';
import type { InventoryCache } from './inventory-cache';
import { PlanSchema } from '../ceremonies/plan';
import { checkPlanPolicy, type PolicySnapshot } from '../ceremonies/policy';
import { describeIssues } from '../ceremonies/validation';
import { nonRetryable } from './errors';
import { refuseReusedCeremonyId } from './closed-ceremony-id';

export interface PolicyCheckInput {
  ceremonyId: string;
  /** The plan from the workflow's input: validated here in full, trusted for nothing. */
  plan: unknown;
  /** The parent ceremony, from Temporal's own record of who started this workflow. */
  parent?: string;
}

/** A read that answers within this runs as a local activity when the worker allows it: no round
 * trip through the server before and after it, and nothing to heartbeat. Longer reads, and every
 * step that changes something, stay activities (heartbeats, the server's own record of each run). */
const LOCAL_READ_MAX_MS = 60_000;

/** The worker checks a plan against the policy of its own inventory before the first step, and
 * returns what the workflow enforces: gates, who may decide on them, their public keys, and which
 * steps are short reads it runs as local activities (`localReads`). */
export function policyCheckActivity(inventory: InventoryCache | undefined, options: { localReads?: boolean } = {}) {
  return async (input: PolicyCheckInput): Promise<PolicySnapshot> => {
    if (!inventory) throw nonRetryable('PolicyViolation', 'the worker has no inventory (CEREMONY_INVENTORY): it cannot check any plan');
    await refuseReusedCeremonyId();
    const parsed = PlanSchema.safeParse(input.plan);
    if (!parsed.success) throw nonRetryable('PolicyViolation', `invalid plan: ${describeIssues(parsed.error).join('; ')}`);
    // the workflow runs the plan as it was given: it must be the schema's own reading of itself
    // (defaults filled in, nothing unknown), or the steps run would not be the steps checked
    if (canonicalJson(parsed.data) !== canonicalJson(input.plan)) {
      throw nonRetryable('PolicyViolation', 'invalid plan: it is not in the form the plan schema gives it (build it with PlanSchema: defaults filled in, no unknown fields)');
    }
    const check = checkPlanPolicy(parsed.data, inventory.get(), { parent: input.parent });
    if (!check.ok) throw nonRetryable('PolicyViolation', `the plan breaks the worker's policy: ${check.problems.join('; ')}`);
    if (options.localReads) {
      for (const step of check.snapshot.steps) {
        if (step.kind === 'read-only' && isOperationName(step.op) && commandTimeoutMs(step.op) <= LOCAL_READ_MAX_MS) step.local = true;
      }
    }
    return check.snapshot;
  };
}
