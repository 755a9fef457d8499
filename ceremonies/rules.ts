import type { ApprovalRule, Inventory } from './inventory';
import type { OperationKind } from './operations';
import { own } from './own';

// The approval rules, each decided here once: the plan schema and the catalogue (building a
// plan), the worker's policy check, the workflow's state (running it) and the audit's invariants
// (checking its history) all ask these functions. Deterministic and free of I/O: the workflow
// bundle carries this module, so it imports nothing but types and own-property lookups.

// ---- no self-approval ----------------------------------------------------------------------

/** The requester never approves, rejects or signs off their own ceremony. */
export function isSelfApproval(requester: string, person: string): boolean {
  return person === requester;
}

/** `people` without the requester: who may approve a ceremony the requester asked for. */
export function withoutRequester(requester: string, people: readonly string[]): string[] {
  return people.filter((p) => !isSelfApproval(requester, p));
}

// ---- a gate's quorum -----------------------------------------------------------------------

/** An external sign-off needs one signer's record. */
export const SIGNOFF_QUORUM = 1;

/** How many distinct approvers a gate needs: an approval's quorum, a sign-off's one. */
export function gateQuorum(step: { type: 'approval'; quorum: number } | { type: 'signoff' }): number {
  return step.type === 'approval' ? step.quorum : SIGNOFF_QUORUM;
}

/** The distinct deciders whose decisions count toward a gate's quorum (a reject never does). */
export function approvers(decisions: readonly { actor: string; decision: string }[]): Set<string> {
  return new Set(decisions.filter((d) => d.decision !== 'reject').map((d) => d.actor));
}

/** `counted` (distinct approvers, see `approvers`) reach `quorum`. */
export function quorumReached(counted: ReadonlySet<string>, quorum: number): boolean {
  return counted.size >= quorum;
}

/** A gate has passed: no one rejected it and its quorum of distinct deciders approved it. */
export function gatePassed(counted: ReadonlySet<string>, vetoed: boolean, quorum: number): boolean {
  return !vetoed && quorumReached(counted, quorum);
}

// ---- the step-kind rule: which approvals an operation needs -------------------------------

/** A step's kind for the policy: irreversible when the step is marked so (a rehearsal's stand-in
 * may be), else its operation's kind in the catalogue (`catalogueKind`; undefined: unknown). */
export function stepKind(
  step: { irreversible: boolean },
  catalogueKind: OperationKind | undefined,
): OperationKind | undefined {
  if (catalogueKind === undefined) return undefined;
  return step.irreversible ? 'irreversible' : catalogueKind;
}

/** The approvals an operation of `kind` on `hsm` needs: the HSM's own rule, else the inventory's;
 * undefined when none (`none`). */
export function effectiveRule(
  inventory: Pick<Inventory, 'policy' | 'hsms'>,
  hsm: string,
  kind: OperationKind,
): ApprovalRule | undefined {
  // `kind` is one of our own literals, never a name from a request
  const rule = own(inventory.hsms, hsm)?.policy?.[kind] ?? inventory.policy[kind];
  return rule === 'none' ? undefined : rule;
}

/** Why `approvers` do not satisfy `rule` (quorum distinct members of each group), or undefined. */
export function ruleUnmetBy(
  rule: ApprovalRule | undefined,
  approvers: readonly string[],
  inventory: Pick<Inventory, 'approverGroups'>,
): string | undefined {
  if (!rule) return undefined;
  for (const group of rule.groups) {
    const members = new Set(own(inventory.approverGroups, group)?.members ?? []);
    const count = new Set(approvers.filter((a) => members.has(a))).size;
    if (count < rule.quorum) return `${rule.quorum} of group ${group} needed, ${count} given`;
  }
  return undefined;
}

/** A gate that meets `rule` for `group`: one of that group asking at least the rule's quorum. */
export function gateMeetingRule<G extends { group: string; quorum: number }>(
  gates: readonly G[],
  group: string,
  rule: ApprovalRule,
): G | undefined {
  return gates.find((g) => g.group === group && g.quorum >= rule.quorum);
}

/** Does a standing approval cover a step of `kind` under `rule`? Its kinds include it and its
 * approvers, the requester never counted, satisfy the rule. */
export function standingMeetsRule(
  standing: { approvedBy: readonly string[]; kinds: readonly OperationKind[] },
  kind: OperationKind,
  rule: ApprovalRule,
  requester: string,
  inventory: Pick<Inventory, 'approverGroups'>,
): boolean {
  return (
    standing.kinds.includes(kind) && !ruleUnmetBy(rule, withoutRequester(requester, standing.approvedBy), inventory)
  );
}

// ---- the policy is met before this step ----------------------------------------------------

/** How the policy check names a parent ceremony whose gates cover a child's step. */
export const PARENT_PREFIX = 'parent:';

export const byParent = (workflowId: string): string => `${PARENT_PREFIX}${workflowId}`;

/** Whether what the policy check named for a step (`by`: gates, standing approval steps, or the
 * parent) has passed before it runs; `open`: what has not. A step whose rule asks nothing is met;
 * one whose rule names nothing that satisfies it never is (`open` empty). `passed` says whether a
 * gate or standing approval step of this run passed; the parent's are checked in its own run. */
export function policyMet(
  required: { rule?: ApprovalRule; by: readonly string[] },
  passed: (id: string) => boolean,
): { met: boolean; open: string[] } {
  if (!required.rule) return { met: true, open: [] };
  const open = required.by.filter((id) => !id.startsWith(PARENT_PREFIX) && !passed(id));
  return { met: required.by.length > 0 && open.length === 0, open };
}
