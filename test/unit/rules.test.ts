import type { Inventory } from '../../ceremonies/inventory';
import { operationKind } from '../../ceremonies/operations';
import { PlanSchema } from '../../ceremonies/plan';
import { checkPlanPolicy } from '../../ceremonies/policy';
import {
  approvers,
  byParent,
  effectiveRule,
  gatePassed,
  gateQuorum,
  isSelfApproval,
  policyMet,
  ruleUnmetBy,
  standingMeetsRule,
  stepKind,
  withoutRequester,
} from '../../ceremonies/rules';
import { nullPrototype } from '../../ceremonies/own';

// Each approval rule has one definition (ceremonies/rules.ts): what it decides, and that the plan
// schema and the policy check, which ask it, decide the same.

const [alice, bob, carol, dave] = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];
const rule = { quorum: 2, groups: ['security-officers'] };
const inventory = {
  policy: { 'read-only': 'none', reversible: rule, irreversible: rule, 'key-material': rule },
  hsms: nullPrototype({ 'hsm-a': { policy: { reversible: 'none' } } }),
  approverGroups: nullPrototype({ 'security-officers': { members: [alice, bob, carol, dave] } }),
} as unknown as Inventory;

test('no self-approval: the requester is never among the approvers', () => {
  expect(isSelfApproval(dave, dave)).toBe(true);
  expect(isSelfApproval(dave, alice)).toBe(false);
  expect(withoutRequester(dave, [alice, dave, bob])).toEqual([alice, bob]);
});

test("a gate's quorum: an approval's own, a sign-off's one; rejects never count, one decider counts once, a reject vetoes", () => {
  expect(gateQuorum({ type: 'approval', quorum: 3 })).toBe(3);
  expect(gateQuorum({ type: 'signoff' })).toBe(1);
  const counted = approvers([
    { actor: alice, decision: 'approve' },
    { actor: alice, decision: 'approve' },
    { actor: bob, decision: 'reject' },
  ]);
  expect([...counted]).toEqual([alice]);
  expect(gatePassed(counted, false, 1)).toBe(true);
  expect(gatePassed(counted, false, 2)).toBe(false);
  expect(gatePassed(counted, true, 1)).toBe(false);
});

test("the step-kind rule: a step marked irreversible is irreversible, else its operation's kind; the HSM's rule before the inventory's", () => {
  expect(stepKind({ irreversible: true }, operationKind('ledger.record'))).toBe('irreversible');
  expect(stepKind({ irreversible: false }, operationKind('ledger.record'))).toBe(operationKind('ledger.record'));
  expect(stepKind({ irreversible: true }, undefined)).toBeUndefined();
  expect(effectiveRule(inventory, 'hsm-a', 'reversible')).toBeUndefined();
  expect(effectiveRule(inventory, 'hsm-b', 'reversible')).toEqual(rule);
  expect(effectiveRule(inventory, 'hsm-a', 'read-only')).toBeUndefined();
  // an HSM name that is a property of every object is no HSM: the inventory's rule applies
  expect(effectiveRule(inventory, 'constructor', 'irreversible')).toEqual(rule);
  expect(ruleUnmetBy(rule, [alice, alice], inventory)).toBe('2 of group security-officers needed, 1 given');
  expect(ruleUnmetBy(rule, [alice, bob], inventory)).toBeUndefined();
});

test("a standing approval meets a rule for the kinds it covers, the requester's approval not counted", () => {
  const standing = { approvedBy: [alice, dave], kinds: ['key-material' as const] };
  expect(standingMeetsRule(standing, 'key-material', rule, carol, inventory)).toBe(true);
  expect(standingMeetsRule(standing, 'key-material', rule, dave, inventory)).toBe(false);
  expect(standingMeetsRule(standing, 'irreversible', rule, carol, inventory)).toBe(false);
});

test('the policy is met before a step when everything the check named for it has passed (a parent is checked in its own run)', () => {
  const passed = (id: string) => id === 'approve';
  expect(policyMet({ by: [] }, passed)).toEqual({ met: true, open: [] });
  expect(policyMet({ rule, by: [] }, passed)).toEqual({ met: false, open: [] });
  expect(policyMet({ rule, by: ['approve'] }, passed)).toEqual({ met: true, open: [] });
  expect(policyMet({ rule, by: ['approve', 'standing'] }, passed)).toEqual({ met: false, open: ['standing'] });
  expect(policyMet({ rule, by: [byParent('parent-1')] }, () => false)).toEqual({ met: true, open: [] });
});

test('the plan schema and the policy check both refuse the requester as an approver', () => {
  const plan = {
    version: 1,
    kind: 'rehearsal',
    title: 'Self approval',
    requester: dave,
    ticket: 'jira:RULES-1',
    hsm: 'hsm-b',
    operators: [carol],
    steps: [
      {
        id: 'approve',
        type: 'approval',
        title: 'Approve',
        group: 'security-officers',
        approvers: [alice, dave],
        quorum: 2,
        deadline: '1h',
      },
      { id: 'effect', type: 'device', title: 'Effect', hsm: 'hsm-b', op: 'ledger.record', args: { key: 'effect' } },
    ],
  };
  const parsed = PlanSchema.safeParse(plan);
  expect(parsed.success).toBe(false);
  expect(parsed.error?.issues.map((i) => i.message)).toContain(
    `the requester ${dave} cannot be an approver of their own ceremony`,
  );
  const full = {
    ...inventory,
    operators: [carol],
    hsms: nullPrototype({ 'hsm-b': {} }),
    haGroups: nullPrototype({}),
    standingApprovals: nullPrototype({}),
    signingKeys: nullPrototype({}),
    attestationKeys: [],
  } as unknown as Inventory;
  const withoutRequester = PlanSchema.parse({
    ...plan,
    steps: [{ ...plan.steps[0], approvers: [alice, bob] }, plan.steps[1]],
  });
  const selfApproved = {
    ...withoutRequester,
    steps: [{ ...withoutRequester.steps[0], approvers: [alice, dave] }, withoutRequester.steps[1]],
  } as typeof withoutRequester;
  expect(checkPlanPolicy(withoutRequester, full)).toMatchObject({ ok: true });
  expect(checkPlanPolicy(selfApproved, full)).toEqual({
    ok: false,
    problems: [`steps[0] (approve): the requester ${dave} cannot approve their own ceremony`],
  });
});
