import type { GateStep, Plan } from '../ceremonies/plan';
import { isGate } from '../ceremonies/plan';
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

type DecisionKind = Decision['decision'];

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
  | 'not-needed';

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

  eligible(step: GateStep): string[] {
    return step.type === 'approval' ? step.approvers : [...step.contacts, ...this.plan.operators];
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
  refuseDecision(kind: DecisionKind, input: { gate: string; actor: string; planDigest: string; nonce?: string }): Refusal | undefined {
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
    if (input.nonce !== undefined && this.usedNonces.has(input.nonce)) return refusal('link-used', 'this link has already been used');
    if (input.actor === this.plan.requester) return refusal('self-approval', `${input.actor} requested this ceremony and cannot approve it`);
    if (!this.eligible(step).includes(input.actor)) {
      return step.type === 'approval'
        ? refusal('not-eligible', `${input.actor} is not an approver of gate "${step.id}" (group ${step.group})`)
        : refusal('not-eligible', `${input.actor} is not a contact of ${step.signer} nor an operator`);
    }
    if (this.gateDecisions(step.id).some((d) => d.actor === input.actor)) {
      return refusal('duplicate', `${input.actor} has already decided on gate "${step.id}"`);
    }
    return undefined;
  }

  addDecision(decision: Omit<Decision, 'at'>): void {
    if (decision.nonce !== undefined) this.usedNonces.add(decision.nonce);
    this.decisions.push({ ...decision, at: new Date().toISOString() });
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
    if (by !== this.plan.requester && !this.plan.operators.includes(by)) return refusal('not-eligible', `${by} is neither the requester nor an operator`);
    if (this.cancelRequest) return refusal('duplicate', 'cancellation already requested');
    return undefined;
  }

  refuseResolve(by: string): Refusal | undefined {
    if (this.phase !== 'needs-intervention') return refusal('not-needed', `ceremony ${this.ceremonyId} is ${this.phase}, not waiting for an intervention`);
    if (!this.plan.operators.includes(by)) return refusal('not-eligible', `${by} is not an operator`);
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
    };
  }
}
