import { randomBytes } from 'node:crypto';
import { planDigest } from '../../ceremonies/digest';
import { PlanSchema, type GateStep } from '../../ceremonies/plan';
import type { PolicySnapshot } from '../../ceremonies/policy';
import { Keyring } from '../support/keyring';
import { SIGNATURE_WINDOW_MS, type DecisionInput } from '../../workflows/gate-rules';
import { CeremonyState } from '../../workflows/state';
import { gatePoint, runChallenge } from '../../ceremonies/decision-signature';

// The ceremony's rules without Temporal: the same state object the workflow drives, fed by hand.

const [alice, bob, carol, dave, ops] = [
  'alice@example.com',
  'bob@example.com',
  'carol@example.com',
  'dave@example.com',
  'ops@example.com',
];
const keys = new Keyring();
const plan = PlanSchema.parse({
  version: 1,
  kind: 'rehearsal',
  title: 'State test',
  requester: dave,
  ticket: 'jira:STATE-1',
  hsm: 'hsm-test',
  operators: [ops],
  steps: [
    {
      id: 'approve',
      type: 'approval',
      title: 'Approve',
      group: 'security-officers',
      approvers: [alice, bob, carol],
      quorum: 2,
      deadline: '1h',
    },
    {
      id: 'effect',
      type: 'device',
      title: 'Effect',
      hsm: 'hsm-test',
      op: 'ledger.record',
      args: { key: 'effect' },
      irreversible: true,
    },
    {
      id: 'microsoft',
      type: 'signoff',
      title: 'Microsoft',
      signer: 'Microsoft',
      contacts: ['ms@example.com'],
      deadline: '1h',
    },
  ],
});
const policy: PolicySnapshot = {
  v: 1,
  hsm: 'hsm-test',
  requester: dave,
  operators: [ops],
  gates: [
    { id: 'approve', type: 'approval', group: 'security-officers', quorum: 2, eligible: [alice, bob, carol] },
    { id: 'microsoft', type: 'signoff', quorum: 1, eligible: ['ms@example.com', ops] },
  ],
  steps: [
    {
      id: 'effect',
      op: 'ledger.record',
      kind: 'irreversible',
      rule: { quorum: 2, groups: ['security-officers'] },
      by: ['approve'],
    },
  ],
  standing: [],
  keys: [alice, bob, carol, dave, ops].map((email) => ({ email, publicKeys: [keys.signer(email).publicKey] })),
  attestationKeys: [keys.attestation.publicKey],
};
const digest = planDigest(plan);

function opened(): CeremonyState {
  const state = new CeremonyState('ceremony-jira-STATE-1', plan, digest);
  state.policy = policy;
  state.openGate = { step: plan.steps[0] as GateStep, deadline: new Date(Date.now() + 3_600_000).toISOString() };
  state.setStep('approve', 'awaiting');
  return state;
}

function signed(actor: string, over: Partial<DecisionInput> = {}, signer = keys.signer(actor)): DecisionInput {
  const d = {
    gate: 'approve',
    actor,
    planDigest: digest,
    text: '',
    nonce: randomBytes(16).toString('base64url'),
    at: new Date().toISOString(),
    ...over,
  };
  return { ...d, signature: signer.sign({ ceremonyId: 'ceremony-jira-STATE-1', decision: 'approve', ...d }) };
}

test('a quorum of distinct, eligible, signed approvals satisfies the gate; the step may then run', () => {
  const state = opened();
  expect(state.unmetApproval('effect')).toBe('ledger.record is irreversible: the policy needs approve passed first');
  expect(state.refuseDecision('approve', signed(alice))).toBeUndefined();
  expect(state.decide('approve', signed(alice))).toEqual({ gate: 'approve', approvals: 1, quorum: 2, closed: false });
  expect(state.gateSatisfied(plan.steps[0] as GateStep)).toBe(false);
  state.decide('approve', signed(bob, {}, keys.attestation)); // through a link the web app vouches for
  expect(state.gateSatisfied(plan.steps[0] as GateStep)).toBe(true);
  expect(state.decisions.map((d) => [d.actor, d.via])).toEqual([
    [alice, 'cli'],
    [bob, 'email-link'],
  ]);
  state.setStep('approve', 'succeeded');
  expect(state.unmetApproval('effect')).toBeUndefined();
  expect(state.timeline.map((e) => [e.type, e.actor])).toEqual([
    ['approve', alice],
    ['approve', bob],
  ]);
});

test.each([
  ['finished', (s: CeremonyState) => (s.phase = 'completed'), signed(alice), 'finished'],
  ['no such gate', () => {}, signed(alice, { gate: 'nope' }), 'no-gate'],
  ['a sign-off gate approved', () => {}, signed('ms@example.com', { gate: 'microsoft' }), 'wrong-gate-type'],
  ['another plan digest', () => {}, signed(alice, { planDigest: 'f'.repeat(64) }), 'digest-mismatch'],
  ['the requester', () => {}, signed(dave), 'self-approval'],
  ['someone outside the group', () => {}, signed(ops), 'not-eligible'],
  ["a key that is not the decider's", () => {}, signed(alice, {}, keys.signer('mallory@example.com')), 'bad-signature'],
  ['a signature over other words', () => {}, { ...signed(alice), text: 'changed' }, 'bad-signature'],
  [
    'a signature from long ago',
    () => {},
    signed(alice, { at: new Date(Date.now() - 2 * SIGNATURE_WINDOW_MS).toISOString() }),
    'bad-signature',
  ],
] as const)('refused: %s', (_what, arrange, input, code) => {
  const state = opened();
  arrange(state);
  expect(state.refuseDecision('approve', input)?.code).toBe(code);
});

test('a gate not yet open, a gate closed, a duplicate and a reused nonce are refused', () => {
  const state = opened();
  expect(state.refuseDecision('signoff', signed('ms@example.com', { gate: 'microsoft' }))?.code).toBe('gate-not-open');
  const first = signed(alice);
  state.decide('approve', first);
  expect(state.refuseDecision('approve', signed(alice))?.code).toBe('duplicate');
  expect(state.refuseDecision('approve', signed(bob, { nonce: first.nonce }))?.code).toBe('link-used');
  state.openGate = null;
  state.setStep('approve', 'succeeded');
  expect(state.refuseDecision('approve', signed(bob))).toMatchObject({
    code: 'gate-closed',
    message: 'gate "approve" is already closed (succeeded)',
  });
});

test('a reject vetoes; cancel and resolve follow the operators of the policy', () => {
  const state = opened();
  state.decide('reject', { ...signed(carol), reason: 'not today' });
  expect(state.gateVetoed(plan.steps[0] as GateStep)?.actor).toBe(carol);
  expect(state.refuseCancel({ by: alice, reason: 'r' })?.code).toBe('not-eligible');
  expect(state.refuseCancel({ by: ops, reason: 'r' })).toBeUndefined();
  expect(state.refuseResolve({ action: 'retry', by: ops, reason: 'r' })?.code).toBe('not-needed');
  state.phase = 'needs-intervention';
  expect(state.refuseResolve({ action: 'retry', by: dave, reason: 'r' })?.code).toBe('not-eligible');
  expect(state.refuseResolve({ action: 'retry', by: ops, reason: 'r' })).toBeUndefined();
  state.irreversibleStarted = true;
  expect(state.refuseCancel({ by: ops, reason: 'r' })?.code).toBe('irreversible');
});

test("before the policy check answers, no one is eligible, and only the plan's people may cancel", () => {
  const state = opened();
  state.policy = null;
  expect(state.refuseDecision('approve', signed(alice))?.code).toBe('not-eligible');
  expect(state.unmetApproval('effect')).toBe('step effect was not checked against the policy');
  expect(state.refuseCancel({ by: ops, reason: 'r' })).toBeUndefined();
  expect(state.refuseCancel({ by: alice, reason: 'r' })?.code).toBe('not-eligible');
});

test('in a run that issues challenges, a decision the handler sees signed for another run (a reset replays it) does not count, and its nonce stays spent', () => {
  const state = new CeremonyState('ceremony-jira-STATE-1', plan, digest, 'run-2');
  state.policy = policy;
  state.openGate = {
    step: plan.steps[0] as GateStep,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
    challenge: state.gateChallenge('approve'),
  };
  state.setStep('approve', 'awaiting');
  const replayed = signed(alice, { challenge: runChallenge('run-1', gatePoint('approve')) });
  expect(state.decide('approve', replayed)).toEqual({ gate: 'approve', approvals: 0, quorum: 2, closed: false });
  expect(state.decisions).toEqual([]);
  expect(state.timeline.map((e) => [e.type, e.actor])).toEqual([['decision-ignored', alice]]);
  expect(state.nonceUsed(replayed.nonce)).toBe(true);
  // this run's own decisions count
  state.decide('approve', signed(alice, { challenge: state.gateChallenge('approve') }));
  state.decide('approve', signed(bob, { challenge: state.gateChallenge('approve') }));
  expect(state.gateSatisfied(plan.steps[0] as GateStep)).toBe(true);
});
