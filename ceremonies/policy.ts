import type { ApprovalRule, Inventory } from './inventory';
import { operationKind, type OperationKind } from './operations';
import { own } from './own';
import { isOperation, PlanSchema, type Plan, type Step } from './plan';
import { describeIssues } from './validation';
import {
  byParent,
  effectiveRule,
  gateMeetingRule,
  isSelfApproval,
  SIGNOFF_QUORUM,
  standingMeetsRule,
  stepKind,
} from './rules';

// Which approvals a plan must gather comes from the worker's inventory, never from the request or
// the workflow's input. The worker checks every plan against it before the first step (activity
// `policy.check`), and `buildPlan` does the same so a request below the policy is refused at once.

/** What the worker checked and the workflow enforces; recorded in the history for the auditor. */
export interface PolicySnapshot {
  v: 1;
  hsm: string;
  requester: string;
  /** Who may resolve a failed step, cancel, or record a sign-off (the inventory's operators). */
  operators: string[];
  /** Each gate, with who may decide on it. */
  gates: { id: string; type: 'approval' | 'signoff'; group?: string; quorum: number; eligible: string[] }[];
  /** Each operation step: its kind, the rule for it, and the gates (or standing approval check,
   * or `parent`) that satisfy the rule before it runs; `local`: the worker runs it as a local
   * activity (a short read, see `activities/policy-check.ts`). */
  steps: { id: string; op: string; kind: OperationKind; rule?: ApprovalRule; by: string[]; local?: true }[];
  /** Standing approvals the plan relies on, as the inventory has them. */
  standing: {
    stepId: string;
    id: string;
    approvedBy: string[];
    reference: string;
    expires: string;
    kinds: OperationKind[];
  }[];
  /** Public keys of everyone who may decide on a gate. */
  keys: { email: string; publicKeys: string[] }[];
  /** The web app's keys: what they sign came through a checked emailed link. */
  attestationKeys: string[];
  /** Set for a child ceremony: its parent's gates cover its steps. */
  parent?: string;
}

export type PolicyCheck = { ok: true; snapshot: PolicySnapshot } | { ok: false; problems: string[] };

interface Context {
  inventory: Inventory;
  plan: Plan;
  now: number;
  problems: string[];
  snapshot: PolicySnapshot;
  /** approval gates and standing approvals passed so far, in plan order */
  gates: { id: string; group: string; quorum: number }[];
  standing: { stepId: string; approvedBy: string[]; kinds: OperationKind[] }[];
  parent?: string;
}

/** What a run asks a standing approval to cover: its kind and HSM, and the partitions it backs up
 * (`undefined`: the run names none, which no standing approval covers). */
export interface StandingScope {
  kind: string;
  hsm: string;
  partitions?: string[];
}

/** The partitions a comma-separated list names (as a backup's `partitions` parameter has them). */
export function partitionList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/** Why a standing approval does not cover this run, or undefined. It covers one ceremony kind on
 * one HSM, the partitions it names and the backup device it names (the HSM's `backupDevice`, so
 * an inventory that moves the HSM's backups elsewhere needs a new approval), until it expires. */
export function standingApprovalProblem(
  inventory: Inventory,
  id: string,
  ceremony: StandingScope,
  now: number,
): string | undefined {
  const approval = own(inventory.standingApprovals, id);
  if (!approval) return `standing approval "${id}" is not in the inventory`;
  if (approval.hsm !== ceremony.hsm) return `standing approval ${id} covers ${approval.hsm}, not ${ceremony.hsm}`;
  if (approval.ceremony !== ceremony.kind)
    return `standing approval ${id} covers ${approval.ceremony} ceremonies, not ${ceremony.kind}`;
  if (!ceremony.partitions?.length)
    return `standing approval ${id} covers the partitions ${approval.params.partitions.join(', ')}: this run names none`;
  const outside = ceremony.partitions.filter((p) => !approval.params.partitions.includes(p));
  if (outside.length)
    return `standing approval ${id} covers the partitions ${approval.params.partitions.join(', ')}, not ${outside.join(', ')}`;
  const device = own(inventory.hsms, ceremony.hsm)?.backupDevice;
  if (device !== approval.params.backupDevice)
    return `standing approval ${id} covers backups to ${approval.params.backupDevice}, not to ${device ?? 'no backup device'}`;
  const end = Date.parse(`${approval.expires}T23:59:59.999Z`);
  // fail closed: an expiry that does not parse has expired
  if (!(end >= now)) return `standing approval ${id} expired on ${approval.expires}`;
  return undefined;
}

function walk(c: Context, steps: Step[], where: string): void {
  steps.forEach((step, i) => {
    const at = `${where}steps[${i}] (${step.id})`;
    if (step.type === 'approval') {
      const group = own(c.inventory.approverGroups, step.group);
      if (!group && own(c.inventory.haGroups, step.group)) return haAcknowledgement(c, step, at);
      if (!group) return void c.problems.push(`${at}: no approver group "${step.group}" in the worker's inventory`);
      const outsiders = step.approvers.filter((a) => !group.members.includes(a));
      if (outsiders.length) c.problems.push(`${at}: ${outsiders.join(', ')} not in group ${step.group}`);
      if (step.approvers.some((a) => isSelfApproval(c.plan.requester, a)))
        c.problems.push(`${at}: the requester ${c.plan.requester} cannot approve their own ceremony`);
      c.snapshot.gates.push({
        id: step.id,
        type: 'approval',
        group: step.group,
        quorum: step.quorum,
        eligible: step.approvers,
      });
      c.gates.push({ id: step.id, group: step.group, quorum: step.quorum });
      return;
    }
    if (step.type === 'signoff') {
      c.snapshot.gates.push({
        id: step.id,
        type: 'signoff',
        quorum: SIGNOFF_QUORUM,
        eligible: [...new Set([...step.contacts, ...c.snapshot.operators])],
      });
      return;
    }
    if (step.type === 'ceremony') {
      const child = PlanSchema.safeParse(step.plan);
      if (!child.success)
        return void c.problems.push(...describeIssues(child.error).map((p) => `${at}: child plan: ${p}`));
      if (child.data.hsm !== c.plan.hsm)
        c.problems.push(`${at}: a child ceremony must concern ${c.plan.hsm}, not ${child.data.hsm}`);
      // the child's steps are checked here, with the gates passed before it, and again by its own worker
      const nested: Context = {
        ...c,
        snapshot: { ...c.snapshot, gates: [], steps: [], standing: [] },
        gates: [...c.gates],
        standing: [...c.standing],
      };
      walk(nested, child.data.steps, `${at}.plan.`);
      return;
    }
    if (!isOperation(step)) return;
    const kind = stepKind(step, operationKind(step.op));
    if (!kind) return void c.problems.push(`${at}: unknown operation "${step.op}"`);
    const hsm = step.type === 'device' ? step.hsm : c.plan.hsm;
    if (!own(c.inventory.hsms, hsm))
      return void c.problems.push(`${at}: unknown HSM "${hsm}": not in the worker's inventory`);
    if (step.op === 'approval.standing') {
      const id = String(step.args.id ?? '');
      // the step's partitions and the plan's parameters must both lie inside what it covers
      const stepScope = { kind: c.plan.kind, hsm: c.plan.hsm, partitions: partitionList(step.args.partitions) };
      const problem =
        standingApprovalProblem(c.inventory, id, stepScope, c.now) ??
        standingApprovalProblem(
          c.inventory,
          id,
          { ...stepScope, partitions: partitionList(c.plan.params.partitions) },
          c.now,
        );
      if (problem) return void c.problems.push(`${at}: ${problem}`);
      const approval = own(c.inventory.standingApprovals, id)!;
      c.standing.push({ stepId: step.id, approvedBy: approval.approvedBy, kinds: approval.kinds });
      c.snapshot.standing.push({
        stepId: step.id,
        id,
        approvedBy: approval.approvedBy,
        reference: approval.reference,
        expires: approval.expires,
        kinds: approval.kinds,
      });
    }
    const rule = effectiveRule(c.inventory, hsm, kind);
    const entry = { id: step.id, op: step.op, kind, ...(rule ? { rule } : {}), by: [] as string[] };
    c.snapshot.steps.push(entry);
    if (!rule) return;
    if (c.parent) return void entry.by.push(byParent(c.parent));
    const byGates = rule.groups.map((group) => gateMeetingRule(c.gates, group, rule));
    if (byGates.every(Boolean)) return void entry.by.push(...byGates.map((g) => g!.id));
    const standing = c.standing.find((s) => standingMeetsRule(s, kind, rule, c.plan.requester, c.inventory));
    if (standing) return void entry.by.push(standing.stepId);
    for (const group of rule.groups.filter((_, j) => !byGates[j])) {
      const weaker = c.gates.find((g) => g.group === group);
      c.problems.push(
        weaker
          ? `${at}: ${step.op} is ${kind} on ${hsm}: the policy needs at least ${rule.quorum} approvals from ${group} (quorum=${rule.quorum}); gate ${weaker.id} asks only ${weaker.quorum}`
          : `${at}: ${step.op} is ${kind} on ${hsm}: the policy needs ${rule.quorum} approvals from ${group} before it, and the plan has no such gate`,
      );
    }
  });
}

/** An HA group's owners acknowledge a member taken out of (or put back into) their group
 * (docs/ha-maintenance.md): only they decide on it, and it approves nothing the policy asks for (it
 * is not added to the gates that satisfy a rule). */
function haAcknowledgement(c: Context, step: Extract<Step, { type: 'approval' }>, at: string): void {
  const owners = own(c.inventory.haGroups, step.group)!.owners;
  const outsiders = step.approvers.filter((a) => !owners.includes(a));
  if (outsiders.length) c.problems.push(`${at}: ${outsiders.join(', ')} not owners of HA group ${step.group}`);
  if (step.approvers.some((a) => isSelfApproval(c.plan.requester, a)))
    c.problems.push(`${at}: the requester ${c.plan.requester} cannot approve their own ceremony`);
  c.snapshot.gates.push({
    id: step.id,
    type: 'approval',
    group: step.group,
    quorum: step.quorum,
    eligible: step.approvers,
  });
}

/** Check a plan against the inventory's policy. `parent`: the plan runs as a child ceremony,
 * whose parent's gates (checked when the parent started) cover its steps. */
export function checkPlanPolicy(
  plan: Plan,
  inventory: Inventory,
  options: { now?: number; parent?: string } = {},
): PolicyCheck {
  const problems: string[] = [];
  if (!own(inventory.hsms, plan.hsm)) problems.push(`hsm: unknown HSM "${plan.hsm}": not in the worker's inventory`);
  const strangers = plan.operators.filter((o) => !inventory.operators.includes(o));
  if (strangers.length) problems.push(`operators: ${strangers.join(', ')} not operators in the worker's inventory`);
  const snapshot: PolicySnapshot = {
    v: 1,
    hsm: plan.hsm,
    requester: plan.requester,
    operators: plan.operators.filter((o) => inventory.operators.includes(o)),
    gates: [],
    steps: [],
    standing: [],
    keys: [],
    attestationKeys: [...inventory.attestationKeys],
    ...(options.parent ? { parent: options.parent } : {}),
  };
  walk(
    {
      inventory,
      plan,
      now: options.now ?? Date.now(),
      problems,
      snapshot,
      gates: [],
      standing: [],
      parent: options.parent,
    },
    plan.steps,
    '',
  );
  // deciders, and who may resolve (operators) or cancel (operators, the requester): all sign
  const people = [
    ...new Set([...snapshot.gates.flatMap((g) => g.eligible), ...snapshot.operators, plan.requester]),
  ].sort();
  snapshot.keys = people.map((email) => ({ email, publicKeys: own(inventory.signingKeys, email) ?? [] }));
  return problems.length ? { ok: false, problems } : { ok: true, snapshot };
}
