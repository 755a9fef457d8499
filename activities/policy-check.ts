import { catalogueProblem, childCatalogueProblem } from '../ceremonies/build-plan';
import { canonicalJson } from '../ceremonies/digest';
import type { Inventory } from '../ceremonies/inventory';
import { commandTimeoutMs, isOperationName } from '../ceremonies/operations';
import type { InventoryCache } from './inventory-cache';
import { PlanSchema, type Plan } from '../ceremonies/plan';
import { checkPlanPolicy, type PolicySnapshot } from '../ceremonies/policy';
import { describeIssues } from '../ceremonies/validation';
import { ApplicationFailure } from '@temporalio/activity';
import { nonRetryable } from './errors';
import { refuseReusedCeremonyId } from './closed-ceremony-id';

/** What a policy refusal carries for the workflow: whom to tell (the inventory's operators). */
export interface RefusalDetails {
  operators: string[];
}

import type { PolicyCheckInput } from '../contract/activities';
export type { PolicyCheckInput };

/** The worker runs only plans its own catalogue builds: the plan, rebuilt from the request it
 * names with this worker's inventory, must have the same digest (a child's: be the plan its
 * verified parent plan embeds, see `childCatalogueProblem`). So no step can be added to any plan,
 * whatever approvals it relies on. A refusal here names a plan nobody could have started through
 * the CLI, a webhook or a schedule. */
export function catalogueCheck(
  plan: Plan,
  inventory: Inventory,
  input: Pick<PolicyCheckInput, 'parent' | 'parentPlan'>,
): void {
  const problem = input.parent
    ? childCatalogueProblem(plan, input.parentPlan, inventory)
    : catalogueProblem(plan, inventory);
  if (problem) throw nonRetryable('PolicyViolation', `the plan is not the worker's catalogue's: ${problem}`);
}

/** A read that answers within this runs as a local activity when the worker allows it: no round
 * trip through the server before and after it, and nothing to heartbeat. Longer reads, and every
 * step that changes something, stay activities (heartbeats, the server's own record of each run). */
const LOCAL_READ_MAX_MS = 60_000;

/** The worker checks a plan against the policy of its own inventory before the first step, and
 * that its catalogue builds it (`catalogueCheck`; `acceptPlansNotFromCatalogue`: engine tests
 * only, which run hand-written plans; the worker process never sets it), and
 * returns what the workflow enforces: gates, who may decide on them, their public keys, and which
 * steps are short reads it runs as local activities (`localReads`). */
export function policyCheckActivity(
  inventory: InventoryCache | undefined,
  options: { localReads?: boolean; acceptPlansNotFromCatalogue?: boolean } = {},
) {
  return async (input: PolicyCheckInput): Promise<PolicySnapshot> => {
    try {
      return await check(input);
    } catch (err) {
      // a refused plan is reported to the worker's own operators only (the workflow reads them
      // here): never to the ticket or requester the plan names, which whoever forged it chose
      if (err instanceof ApplicationFailure && err.type === 'PolicyViolation' && inventory) {
        throw nonRetryable('PolicyViolation', err.message, {
          operators: inventory.get().operators,
        } satisfies RefusalDetails);
      }
      throw err;
    }
  };
  async function check(input: PolicyCheckInput): Promise<PolicySnapshot> {
    if (!inventory)
      throw nonRetryable(
        'PolicyViolation',
        'the worker has no inventory (CEREMONY_INVENTORY): it cannot check any plan',
      );
    await refuseReusedCeremonyId();
    const parsed = PlanSchema.safeParse(input.plan);
    if (!parsed.success)
      throw nonRetryable('PolicyViolation', `invalid plan: ${describeIssues(parsed.error).join('; ')}`);
    // the workflow runs the plan as it was given: it must be the schema's own reading of itself
    // (defaults filled in, nothing unknown), or the steps run would not be the steps checked
    if (canonicalJson(parsed.data) !== canonicalJson(input.plan)) {
      throw nonRetryable(
        'PolicyViolation',
        'invalid plan: it is not in the form the plan schema gives it (build it with PlanSchema: defaults filled in, no unknown fields)',
      );
    }
    const checked = checkPlanPolicy(parsed.data, inventory.get(), { parent: input.parent });
    if (!checked.ok)
      throw nonRetryable('PolicyViolation', `the plan breaks the worker's policy: ${checked.problems.join('; ')}`);
    // (after the policy, whose refusals name the rule a forged plan breaks)
    if (!options.acceptPlansNotFromCatalogue) catalogueCheck(parsed.data, inventory.get(), input);
    if (options.localReads) {
      for (const step of checked.snapshot.steps) {
        if (step.kind === 'read-only' && isOperationName(step.op) && commandTimeoutMs(step.op) <= LOCAL_READ_MAX_MS)
          step.local = true;
      }
    }
    return checked.snapshot;
  }
}
