import { decisionSignatureValid, type DecisionFields, type DecisionKind, type DecisionSignature } from '../ceremonies/decision-signature';
import type { GateStep, Plan } from '../ceremonies/plan';
import { isGate } from '../ceremonies/plan';
import type { PolicySnapshot } from '../ceremonies/policy';
import type { OperationEvidence } from '../activities/types';
import {
  FINAL_PHASES,
  type CeremonyStatus,
  type Decision,
  type GateView,
  type Phase,
  type StepOutcome,
  type StepStatus,
  type TimelineEvent,
} from './messages';

/** A decision as the update validators see it: the signed fields (the ceremony and the kind are
 * the workflow's own), the signature, and the free text under its own name. */
export type DecisionInput = Omit<DecisionFields, 'ceremonyId' | 'decision'> & {
  signature: DecisionSignature;
  comment?: string;
  reason?: string;
  reference?: string;
};

/** How far a decision's signing time may be from the workflow's clock. */
export const SIGNATURE_WINDOW_MS = 10 * 60_000;

/** Why an update is refused: a stable code (pages map it to an HTTP status) and a sentence. */
export interface Refusal {
  code: RefusalCode;
  message: string;
}
export type RefusalCode =
  | 'finished'
  | 'no-gate'
  | 'wrong-gate-type'
  | 'gate-not-open'
  | 'gate-closed'
  | 'digest-mismatch'
  | 'link-used'
  | 'self-approval'
  | 'not-eligible'
  | 'duplicate'
  | 'irreversible'
  | 'not-needed'
  | 'bad-signature';

const refusal = (code: RefusalCode, message: string): Refusal => ({ code, message });

/** The ceremony's state and its rules, free of Temporal calls so it can be unit-tested and
 * reasoned about on its own. The workflow drives it; queries and validators read it. */
export class CeremonyState {
  phase: Phase = 'running';
  currentStep: string | null = null;
  readonly decisions: Decision[] = [];
  readonly timeline: TimelineEvent[] = [];
  readonly steps: StepOutcome[];
  irreversibleStarted = false;
  openGate: { step: GateStep; deadline: string } | null = null;
  cancelRequest: { by: string; reason: string } | null = null;
  resolution: { action: 'retry' | 'abort'; by: string; reason: string } | null = null;
  /** What the worker checked the plan against (activity `policy.check`): gates, eligible people,
   * their keys. Null until that check has answered: no gate opens before it. */
  policy: PolicySnapshot | null = null;
  /** Why the worker refused the plan, when it did. */
  refusal: string | null = null;
  private readonly usedNonces = new Set<string>();

  constructor(
    readonly ceremonyId: string,
    readonly plan: Plan,
    readonly planDigest: string,
  ) {
    this.steps = plan.steps.map((s) => ({
      id: s.id,
      type: s.type,
      title: s.title,
      irreversible: s.irreversible,
      status: 'pending' as StepStatus,
      attempts: 0,
    }));
  }

  get finished(): boolean {
    return FINAL_PHASES.includes(this.phase);
  }

  record(type: string, actor: string, detail: string, step?: string): void {
    this.timeline.push({ seq: this.timeline.length + 1, at: new Date().toISOString(), type, actor, step, detail });
  }

  step(id: string): StepOutcome {
    const outcome = this.steps.find((s) => s.id === id);
    if (!outcome) throw new Error(`no step ${id}`);
    return outcome;
  }

  setStep(id: string, status: StepStatus, extra: { error?: string; evidence?: OperationEvidence } = {}): void {
    const outcome = this.step(id);
    outcome.status = status;
    if (status === 'running' || status === 'awaiting') {
      outcome.startedAt ??= new Date().toISOString();
      if (status === 'running') outcome.attempts += 1;
      delete outcome.error;
    } else if (status !== 'pending') {
      outcome.endedAt = new Date().toISOString();
    }
    if (extra.error !== undefined) outcome.error = extra.error;
    if (extra.evidence !== undefined) outcome.evidence = extra.evidence;
  }

  // ---- gates -------------------------------------------------------------

  gateDecisions(gate: string): Decision[] {
    return this.decisions.filter((d) => d.gate === gate);
  }

  gateQuorum(step: GateStep): number {
    return step.type === 'approval' ? step.quorum : 1;
  }

  /** Who may decide on a gate: as the worker's inventory has it (the policy snapshot). */
  eligible(step: GateStep): string[] {
    return this.policy?.gates.find((g) => g.id === step.id)?.eligible ?? [];
  }

  /** The operators of the worker's inventory that this plan names. */
  get operators(): string[] {
    return this.policy?.operators ?? [];
  }

  /** Which key signed: the decider's own (`cli`) or the web app's for a checked link. */
  private signedVia(actor: string, publicKey: string): Decision['via'] | undefined {
    if (this.policy?.keys.find((k) => k.email === actor)?.publicKeys.includes(publicKey)) return 'cli';
    if (this.policy?.attestationKeys.includes(publicKey)) return 'email-link';
    return undefined;
  }

  /** Why a signature does not prove this decision, or undefined when it does. */
  signatureProblem(kind: DecisionKind, d: DecisionInput): string | undefined {
    if (!this.signedVia(d.actor, d.signature.publicKey)) return `the decision is signed with a key that is neither ${d.actor}'s nor the web app's`;
    const fields = { ceremonyId: this.ceremonyId, gate: d.gate, planDigest: d.planDigest, decision: kind, actor: d.actor, text: d.text, nonce: d.nonce, at: d.at };
    if (!decisionSignatureValid(fields, d.signature)) return 'the signature does not match the decision';
    const skew = Math.abs(Date.parse(d.at) - Date.now());
    if (!(skew <= SIGNATURE_WINDOW_MS)) return `the decision was signed at ${d.at}, more than ${SIGNATURE_WINDOW_MS / 60_000} minutes from now`;
    return undefined;
  }

  /** Before an operation step: every gate (or standing approval, or parent) the policy named for
   * it has passed. Why not, or undefined. */
  unmetApproval(stepId: string): string | undefined {
    const required = this.policy?.steps.find((s) => s.id === stepId);
    if (!required) return `step ${stepId} was not checked against the policy`;
    if (!required.rule) return undefined;
    const open = required.by.filter((id) => !id.startsWith('parent:') && this.steps.find((s) => s.id === id)?.status !== 'succeeded');
    if (required.by.length === 0 || open.length > 0) return `${required.op} is ${required.kind}: the policy needs ${open.join(', ') || 'an approval'} passed first`;
    return undefined;
  }

  gateSatisfied(step: GateStep): boolean {
    const approvals = this.gateDecisions(step.id).filter((d) => d.decision !== 'reject');
    return approvals.length >= this.gateQuorum(step);
  }

  gateVetoed(step: GateStep): Decision | undefined {
    return this.gateDecisions(step.id).find((d) => d.decision === 'reject');
  }

  gateView(gate: string): GateView {
    const step = this.plan.steps.find((s) => s.id === gate);
    const quorum = step && isGate(step) ? this.gateQuorum(step) : 0;
    const approvals = this.gateDecisions(gate).filter((d) => d.decision !== 'reject').length;
    return { gate, approvals, quorum, closed: this.openGate?.step.id !== gate };
  }

  /** Why this decision must be refused, or undefined when it may be recorded. */
  refuseDecision(kind: DecisionKind, input: DecisionInput): Refusal | undefined {
    if (this.finished) return refusal('finished', `ceremony ${this.ceremonyId} is already ${this.phase}`);
    const step = this.plan.steps.find((s) => s.id === input.gate);
    if (!step || !isGate(step)) return refusal('no-gate', `ceremony ${this.ceremonyId} has no gate "${input.gate}"`);
    if (kind === 'signoff' && step.type !== 'signoff') return refusal('wrong-gate-type', `gate "${input.gate}" is an approval, not an external sign-off`);
    if (kind !== 'signoff' && step.type !== 'approval') return refusal('wrong-gate-type', `gate "${input.gate}" is an external sign-off; record it with signoff`);
    if (this.openGate?.step.id !== input.gate) {
      const status = this.step(input.gate).status;
      return status === 'pending'
        ? refusal('gate-not-open', `gate "${input.gate}" is not open yet`)
        : refusal('gate-closed', `gate "${input.gate}" is already closed (${status})`);
    }
    if (input.planDigest !== this.planDigest) {
      return refusal('digest-mismatch', `plan digest mismatch: the decision names ${input.planDigest.slice(0, 12)}…, the ceremony runs plan ${this.planDigest.slice(0, 12)}…`);
    }
    if (this.usedNonces.has(input.nonce)) return refusal('link-used', 'this link has already been used');
    if (input.actor === this.plan.requester) return refusal('self-approval', `${input.actor} requested this ceremony and cannot approve it`);
    if (!this.eligible(step).includes(input.actor)) {
      return step.type === 'approval'
        ? refusal('not-eligible', `${input.actor} is not an approver of gate "${step.id}" (group ${step.group})`)
        : refusal('not-eligible', `${input.actor} is not a contact of ${step.signer} nor an operator`);
    }
    if (this.gateDecisions(step.id).some((d) => d.actor === input.actor)) {
      return refusal('duplicate', `${input.actor} has already decided on gate "${step.id}"`);
    }
    const problem = this.signatureProblem(kind, input);
    return problem ? refusal('bad-signature', problem) : undefined;
  }

  /** Record a decision the validator accepted. */
  decide(kind: DecisionKind, input: DecisionInput): GateView {
    const via = this.signedVia(input.actor, input.signature.publicKey)!;
    const { gate, actor, planDigest, nonce, comment, reason, reference } = input;
    this.addDecision({ gate, actor, decision: kind, planDigest, via, nonce, signedAt: input.at, signature: input.signature, comment, reason, reference });
    return this.gateView(gate);
  }

  private addDecision(decision: Omit<Decision, 'at'>): void {
    this.usedNonces.add(decision.nonce);
    const record = Object.fromEntries(Object.entries(decision).filter(([, v]) => v !== undefined)) as Omit<Decision, 'at'>;
    this.decisions.push({ ...record, at: new Date().toISOString() });
    const detail =
      decision.decision === 'reject'
        ? `rejected: ${decision.reason}`
        : decision.decision === 'signoff'
          ? `signed off, reference ${decision.reference}`
          : `approved plan ${decision.planDigest.slice(0, 12)}…${decision.comment ? `: ${decision.comment}` : ''}`;
    this.record(decision.decision, decision.actor, `${detail} (via ${decision.via})`, decision.gate);
  }

  pendingApprovers(step: GateStep): string[] {
    const decided = new Set(this.gateDecisions(step.id).map((d) => d.actor));
    return (step.type === 'approval' ? step.approvers : step.contacts).filter((a) => !decided.has(a));
  }

  // ---- operator actions --------------------------------------------------

  refuseCancel(by: string): Refusal | undefined {
    if (this.finished) return refusal('finished', `ceremony ${this.ceremonyId} is already ${this.phase}`);
    if (this.irreversibleStarted) return refusal('irreversible', 'an irreversible step has started; the ceremony can no longer be cancelled (an operator may abort at an intervention)');
    // until the worker's policy check answers nothing has run, and stopping is always safe: the
    // plan's operators may cancel then (a plan naming others is refused by that check anyway)
    const operators = this.policy ? this.operators : this.plan.operators;
    if (by !== this.plan.requester && !operators.includes(by)) return refusal('not-eligible', `${by} is neither the requester nor an operator`);
    if (this.cancelRequest) return refusal('duplicate', 'cancellation already requested');
    return undefined;
  }

  refuseResolve(by: string): Refusal | undefined {
    if (this.phase !== 'needs-intervention') return refusal('not-needed', `ceremony ${this.ceremonyId} is ${this.phase}, not waiting for an intervention`);
    if (!this.operators.includes(by)) return refusal('not-eligible', `${by} is not an operator`);
    if (this.resolution) return refusal('duplicate', 'a resolution is already being applied');
    return undefined;
  }

  // ---- views -------------------------------------------------------------

  status(): CeremonyStatus {
    const gate = this.openGate;
    return {
      ceremonyId: this.ceremonyId,
      kind: this.plan.kind,
      title: this.plan.title,
      hsm: this.plan.hsm,
      ticket: this.plan.ticket,
      requester: this.plan.requester,
      planDigest: this.planDigest,
      phase: this.phase,
      currentStep: this.currentStep,
      openGate: gate
        ? {
            id: gate.step.id,
            quorum: this.gateQuorum(gate.step),
            approvedBy: this.gateDecisions(gate.step.id).filter((d) => d.decision !== 'reject').map((d) => d.actor),
            pending: this.pendingApprovers(gate.step),
            deadline: gate.deadline,
          }
        : undefined,
      decisions: [...this.decisions],
      steps: this.steps.map((s) => ({ ...s })),
      cancellable: !this.finished && !this.irreversibleStarted,
      ...(this.refusal ? { refusal: this.refusal } : {}),
    };
  }
}
