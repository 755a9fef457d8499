import { z } from 'zod';
import { PLAN_BUILDERS } from './catalog';
import { planDigest } from './digest';
import { hsmEntry, type Inventory } from './inventory';
import { PlanSchema, type Plan } from './plan';
import { checkPlanPolicy } from './policy';
import { CeremonyRequestSchema, type CeremonyRequestInput } from './request';
import { describeIssues, parseOrThrow, ValidationError } from './validation';

export interface BuiltPlan {
  plan: Plan;
  digest: string;
}

/** Request + inventory -> a validated Plan and its digest. Throws ValidationError naming the field. */
export function buildPlan(input: CeremonyRequestInput, inventory: Inventory): BuiltPlan {
  const request = parseOrThrow(CeremonyRequestSchema, input, 'request');
  hsmEntry(inventory, request.hsm);
  let draft;
  try {
    draft = PLAN_BUILDERS[request.kind]({ request, inventory });
  } catch (err) {
    if (err instanceof z.ZodError) {
      throw new ValidationError('request', describeIssues(err).map((line) => `params.${line}`));
    }
    throw err;
  }
  const plan = parseOrThrow(PlanSchema, draft, `plan for ${request.kind}`);
  // the worker checks the same again before the first step; refusing here names the problem at once
  const policy = checkPlanPolicy(plan, inventory);
  if (!policy.ok) throw new ValidationError('request', policy.problems.map((p) => `policy: ${p}`));
  return { plan, digest: planDigest(plan) };
}
