import {
  decisionSignatureValid,
  type DecisionFields,
  type DecisionKind,
  type DecisionSignature,
  type Ed25519Verify,
  type OperatorActionKind,
  type SignedKind,
} from '../ceremonies/decision-signature';
import type { Plan } from '../ceremonies/plan';
import { isGate } from '../ceremonies/steps';
import type { PolicySnapshot } from '../ceremonies/policy';
import { isSelfApproval } from '../ceremonies/rules';
import type { Decision } from './messages';

// The rules of a gate (who decides, signatures, challenges; no self-approval and the quorum are
// ceremonies/rules.ts'), written once: the update validators apply them (through CeremonyState),
// the decision page asks the workflow to apply them before it shows a form (a query), and the
// auditor applies them again to a history.

/** A decision as the rules see it: the signed fields (the ceremony and the kind are the
 * workflow's own), the signature, and the free text under its own name. */
export type DecisionInput = Omit<DecisionFields, 'ceremonyId' | 'decision'> & {
  signature: DecisionSignature;
  comment?: string;
  reason?: string;
  reference?: string;
};

/** How far a decision's signing time may be from the workflow's clock. */
export const SIGNATURE_WINDOW_MS = 10 * 60_000;

export const REFUSAL_CODES = [
  'finished',
  'no-gate',
  'wrong-gate-type',
  'gate-not-open',
  'gate-closed',
  'digest-mismatch',
  'link-used',
  'self-approval',
  'not-eligible',
  'duplicate',
  'irreversible',
  'not-needed',
  'bad-signature',
  'wrong-challenge',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Why an update is refused: a stable code (pages map it to an HTTP status) and a sentence. */
export interface Refusal {
  code: RefusalCode;
  message: string;
}

export const refusal = (code: RefusalCode, message: string): Refusal => ({ code, message });

/** What the rules read of a ceremony. */
export interface GateContext {
  ceremonyId: string;
  plan: Plan;
  planDigest: string;
  policy: PolicySnapshot | null;
  finished: boolean;
  phase: string;
  openGateId: string | undefined;
  stepStatus(id: string): string;
  nonceUsed(nonce: string): boolean;
  decisions: readonly Pick<Decision, 'gate' | 'actor' | 'decision'>[];
}

/** Who may decide on a gate: as the worker's inventory has it (the policy snapshot). */
export function eligibleFor(policy: PolicySnapshot | null, gate: string): string[] {
  return policy?.gates.find((g) => g.id === gate)?.eligible ?? [];
}

/** Which key signed: the decider's own (`cli`) or the web app's for a checked link. */
export function signedVia(
  policy: Pick<PolicySnapshot, 'keys' | 'attestationKeys'> | null | undefined,
  actor: string,
  publicKey: string,
): Decision['via'] | undefined {
  if (policy?.keys.find((k) => k.email === actor)?.publicKeys.includes(publicKey)) return 'cli';
  if (policy?.attestationKeys.includes(publicKey)) return 'email-link';
  return undefined;
}

/** Does the signature prove this decision by this key? (Not: is the key the decider's.) */
export function signatureMatches(
  ceremonyId: string,
  kind: SignedKind,
  d: Omit<DecisionFields, 'ceremonyId' | 'decision'>,
  signature: DecisionSignature,
  verify?: Ed25519Verify,
): boolean {
  const fields = {
    ceremonyId,
    gate: d.gate,
    planDigest: d.planDigest,
    decision: kind,
    actor: d.actor,
    text: d.text,
    nonce: d.nonce,
    at: d.at,
    ...(d.challenge === undefined ? {} : { challenge: d.challenge }),
    ...(d.identity === undefined ? {} : { identity: d.identity }),
  };
  return decisionSignatureValid(fields, signature, verify);
}

/** Why the challenge a decision (or operator action) signed is not the one its point was issued
 * in this run, or undefined. `expected` undefined: the run issues none (a run from before). */
export function challengeProblem(
  what: string,
  expected: string | undefined,
  given: string | undefined,
): string | undefined {
  if (expected === undefined)
    return given === undefined
      ? undefined
      : `this ${what} was issued no challenge in this run, but the signature names challenge ${given.slice(0, 8)}…: it was signed for another run`;
  if (given === undefined)
    return `the ${what} opened in this run with challenge ${expected.slice(0, 8)}…, and the signature covers none (a v1 signature): read the ${what} again (ceremony status) and sign with its challenge`;
  if (given !== expected)
    return `the signature covers challenge ${given.slice(0, 8)}…, but the ${what} opened in this run with challenge ${expected.slice(0, 8)}…: it was signed for another run or another opening`;
  return undefined;
}

/** Why a signature does not prove this decision now, or undefined when it does. */
export function signatureProblem(
  c: Pick<GateContext, 'ceremonyId' | 'policy'>,
  kind: DecisionKind,
  d: DecisionInput,
  now: number,
): string | undefined {
  if (!signedVia(c.policy, d.actor, d.signature.publicKey))
    return `the decision is signed with a key that is neither ${d.actor}'s nor the web app's`;
  if (!signatureMatches(c.ceremonyId, kind, d, d.signature)) return 'the signature does not match the decision';
  const skew = Math.abs(Date.parse(d.at) - now);
  if (!(skew <= SIGNATURE_WINDOW_MS))
    return `the decision was signed at ${d.at}, more than ${SIGNATURE_WINDOW_MS / 60_000} minutes from now`;
  return undefined;
}

/** Why this decision must be refused, its signature aside (what a page can ask before anyone
 * has signed anything), or undefined. */
export function decisionRefusal(
  c: GateContext,
  kind: DecisionKind,
  d: { gate: string; actor: string; planDigest: string; nonce: string },
): Refusal | undefined {
  if (c.finished) return refusal('finished', `ceremony ${c.ceremonyId} is already ${c.phase}`);
  const step = c.plan.steps.find((s) => s.id === d.gate);
  if (!step || !isGate(step)) return refusal('no-gate', `ceremony ${c.ceremonyId} has no gate "${d.gate}"`);
  if (kind === 'signoff' && step.type !== 'signoff')
    return refusal('wrong-gate-type', `gate "${d.gate}" is an approval, not an external sign-off`);
  if (kind !== 'signoff' && step.type !== 'approval')
    return refusal('wrong-gate-type', `gate "${d.gate}" is an external sign-off; record it with signoff`);
  if (c.openGateId !== d.gate) {
    const status = c.stepStatus(d.gate);
    return status === 'pending'
      ? refusal('gate-not-open', `gate "${d.gate}" is not open yet`)
      : refusal('gate-closed', `gate "${d.gate}" is already closed (${status})`);
  }
  if (d.planDigest !== c.planDigest) {
    return refusal(
      'digest-mismatch',
      `plan digest mismatch: the decision names ${d.planDigest.slice(0, 12)}…, the ceremony runs plan ${c.planDigest.slice(0, 12)}…`,
    );
  }
  if (c.nonceUsed(d.nonce)) return refusal('link-used', 'this link has already been used');
  if (isSelfApproval(c.plan.requester, d.actor))
    return refusal('self-approval', `${d.actor} requested this ceremony and cannot approve it`);
  if (!eligibleFor(c.policy, step.id).includes(d.actor)) {
    return step.type === 'approval'
      ? refusal('not-eligible', `${d.actor} is not an approver of gate "${step.id}" (group ${step.group})`)
      : refusal('not-eligible', `${d.actor} is not a contact of ${step.signer} nor an operator`);
  }
  if (c.decisions.some((x) => x.gate === step.id && x.actor === d.actor))
    return refusal('duplicate', `${d.actor} has already decided on gate "${step.id}"`);
  return undefined;
}

/** How an operator action was signed: with the person's own key (`cli`) or by the web app's
 * attestation key after the operator's login (`web-login`). */
export function actionSignedVia(
  policy: Pick<PolicySnapshot, 'keys' | 'attestationKeys'> | null | undefined,
  actor: string,
  publicKey: string,
): 'cli' | 'web-login' | undefined {
  if (policy?.keys.find((k) => k.email === actor)?.publicKeys.includes(publicKey)) return 'cli';
  if (policy?.attestationKeys.includes(publicKey)) return 'web-login';
  return undefined;
}

/** A resolve or cancel as the rules see it (its parsed update input). */
export interface OperatorActionInput {
  by: string;
  reason: string;
  planDigest?: string;
  nonce?: string;
  at?: string;
  signature?: DecisionSignature;
  challenge?: string;
}

/** Why the signature of a resolve (`retry`/`abort`, `step` the failed step) or a cancel (`step`
 * '') does not prove it now, or undefined. `expected`: the challenge of the intervention or
 * cancel point in this run. Who may act at all is the caller's rule. */
export function operatorActionProblem(
  c: Pick<GateContext, 'ceremonyId' | 'policy' | 'planDigest' | 'nonceUsed'>,
  kind: OperatorActionKind,
  step: string,
  a: OperatorActionInput,
  expected: string | undefined,
  now: number,
): Refusal | undefined {
  const what = kind === 'cancel' ? 'cancel' : 'resolve';
  if (!a.signature || a.nonce === undefined || a.at === undefined || a.planDigest === undefined) {
    return refusal(
      'bad-signature',
      `a ${what} must be signed by ${a.by}, as decisions are (ceremony ${what} --key <file>, or the operator pages after login): this one carries no signature`,
    );
  }
  if (!c.policy)
    return refusal(
      'not-needed',
      `the worker has not yet checked ceremony ${c.ceremonyId}'s plan against its policy: no key can be checked yet; try again in a moment`,
    );
  if (a.planDigest !== c.planDigest)
    return refusal(
      'digest-mismatch',
      `plan digest mismatch: the ${what} names ${a.planDigest.slice(0, 12)}…, the ceremony runs plan ${c.planDigest.slice(0, 12)}…`,
    );
  if (c.nonceUsed(a.nonce)) return refusal('link-used', `this ${what} (its nonce) has already been used`);
  const wrong = challengeProblem(kind === 'cancel' ? 'cancel point' : 'intervention', expected, a.challenge);
  if (wrong) return refusal('wrong-challenge', wrong);
  if (!actionSignedVia(c.policy, a.by, a.signature.publicKey))
    return refusal('bad-signature', `the ${what} is signed with a key that is neither ${a.by}'s nor the web app's`);
  const fields = {
    gate: step,
    planDigest: a.planDigest,
    actor: a.by,
    text: a.reason,
    nonce: a.nonce,
    at: a.at,
    ...(a.challenge === undefined ? {} : { challenge: a.challenge }),
  };
  if (!signatureMatches(c.ceremonyId, kind, fields, a.signature))
    return refusal('bad-signature', `the signature does not match the ${what}`);
  const skew = Math.abs(Date.parse(a.at) - now);
  if (!(skew <= SIGNATURE_WINDOW_MS))
    return refusal(
      'bad-signature',
      `the ${what} was signed at ${a.at}, more than ${SIGNATURE_WINDOW_MS / 60_000} minutes from now`,
    );
  return undefined;
}
