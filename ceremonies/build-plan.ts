import { z } from 'zod';
import { PLAN_BUILDERS } from './catalog';
import { canonicalJson, planDigest } from './digest';
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
export function buildPlan(
  input: CeremonyRequestInput,
  inventory: Inventory,
  options: { now?: number } = {},
): BuiltPlan {
  const request = parseOrThrow(CeremonyRequestSchema, input, 'request');
  hsmEntry(inventory, request.hsm);
  let draft;
  try {
    draft = PLAN_BUILDERS[request.kind]({ request, inventory });
  } catch (err) {
    if (err instanceof z.ZodError) {
      throw new ValidationError(
        'request',
        describeIssues(err).map((line) => `params.${line}`),
      );
    }
    throw err;
  }
  const plan = parseOrThrow(PlanSchema, draft, `plan for ${request.kind}`);
  // the worker checks the same again before the first step; refusing here names the problem at once
  const policy = checkPlanPolicy(plan, inventory, { now: options.now });
  if (!policy.ok)
    throw new ValidationError(
      'request',
      policy.problems.map((p) => `policy: ${p}`),
    );
  return { plan, digest: planDigest(plan) };
}

/** The request a plan says it was built from: its kind, HSM, ticket, requester and parameters. */
export function requestOf(plan: Plan): CeremonyRequestInput {
  return {
    kind: plan.kind,
    hsm: plan.hsm,
    ticket: plan.ticket,
    requester: plan.requester,
    params: plan.params as Record<string, string>,
  };
}

/** Equal as JSON (a field absent on one side is not equal to one present). */
const same = (a: unknown, b: unknown) =>
  a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b);

const FRAME_FIELDS = ['version', 'kind', 'title', 'requester', 'ticket', 'hsm', 'operators', 'params'] as const;

/** What a step is, in words that come from the schema (its id is a slug, its op from the
 * catalogue): never a title or an argument, which a forged plan chooses. */
function stepLabel(step: Plan['steps'][number]): string {
  return 'op' in step ? `${step.id} (${step.type} ${step.op})` : `${step.id} (${step.type})`;
}

/** The first place where `given` differs from the plan the catalogue built, in words. */
export function firstDifference(given: Plan, built: Plan): string | undefined {
  for (const field of FRAME_FIELDS) {
    if (!same(given[field], built[field])) return `its ${field} is not the one the catalogue gives`;
  }
  for (let i = 0; i < Math.max(given.steps.length, built.steps.length); i++) {
    const g = given.steps[i];
    const b = built.steps[i];
    if (!g) return `step ${i + 1} is missing: the catalogue's plan has ${stepLabel(b)}`;
    if (!b)
      return `step ${i + 1}, ${stepLabel(g)}, is not in the catalogue's plan (it has ${built.steps.length} steps)`;
    if (same(g, b)) continue;
    if (stepLabel(g) !== stepLabel(b))
      return `step ${i + 1} is ${stepLabel(g)}: the catalogue's plan has ${stepLabel(b)}`;
    const keys = [...new Set([...Object.keys(g), ...Object.keys(b)])].filter(
      (k) => !same((g as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
    return `step ${i + 1}, ${stepLabel(g)}, differs from the catalogue's in ${keys.sort().join(', ')}`;
  }
  return undefined;
}

/** Why `plan` is not the plan this inventory's catalogue builds from the request it names (its
 * kind, HSM, ticket, requester and parameters), or undefined. A plan's content depends on the
 * request and the inventory only (nothing in the catalogue reads the clock), so the same request
 * rebuilds the same plan; what depends on time (a standing approval's expiry) is the policy's,
 * checked at build and again here: an approval that expired since the start refuses the run. */
export function catalogueProblem(plan: Plan, inventory: Inventory, now = Date.now()): string | undefined {
  let built: BuiltPlan;
  try {
    built = buildPlan(requestOf(plan), inventory, { now });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return `the catalogue builds no plan from the request it names: ${err.problems.join('; ')}`;
  }
  if (built.digest === planDigest(plan)) return undefined;
  const where = firstDifference(plan, built.plan) ?? 'its digest differs';
  return `it is not the plan the worker's catalogue builds from its request (${plan.kind} on ${plan.hsm} for ${plan.ticket}): ${where} (plan ${planDigest(plan)}, the catalogue's ${built.digest}; a plan built with another inventory differs too)`;
}

/** Why a child ceremony's plan is not one its parent's catalogue plan embeds, or undefined. A
 * child's plan is built by its parent's builder (a firmware upgrade's backup, `gate: false`: the
 * parent's gates cover it), so rebuilt alone it would differ. The parent's workflow passes the
 * plan it runs (the one its own worker verified); the child's worker rebuilds that plan from its
 * request, and runs the child only if the rebuilt parent plan holds a ceremony step with exactly
 * this plan. Nothing is taken on trust from the input: a parent plan the catalogue does not build
 * (a parent from before this check, or anything forged) refuses the child. */
export function childCatalogueProblem(
  child: Plan,
  parentPlan: unknown,
  inventory: Inventory,
  now = Date.now(),
): string | undefined {
  if (parentPlan === undefined)
    return 'a child ceremony runs only a plan its parent passes with its own verified plan, and none came';
  const parent = PlanSchema.safeParse(parentPlan);
  if (!parent.success || canonicalJson(parent.data) !== canonicalJson(parentPlan))
    return "the parent's plan it came with is not a valid plan";
  const problem = catalogueProblem(parent.data, inventory, now);
  if (problem) return `its parent's plan: ${problem}`;
  const embedded = parent.data.steps.some(
    (s) => s.type === 'ceremony' && canonicalJson(s.plan) === canonicalJson(child),
  );
  return embedded ? undefined : "it is not the plan of any child ceremony step of its parent's plan";
}
