import {
  CANCEL_POINT,
  gatePoint,
  interventionPoint,
  runChallenge,
  type DecisionKind,
} from '../ceremonies/decision-signature';
import type { GateStep, Plan } from '../ceremonies/plan';
import { isGate } from '../ceremonies/steps';
import type { PolicySnapshot } from '../ceremonies/policy';
import type { OperationEvidence } from '../contract/activities';
import { approvers, gateQuorum, policyMet, quorumReached } from '../ceremonies/rules';
import {
  actionSignedVia,
  challengeProblem,
  decisionRefusal,
  operatorActionProblem,
  refusal,
  signatureProblem,
  signedVia,
  type DecisionInput,
  type GateContext,
  type OperatorActionInput,
  type Refusal,
} from './gate-rules';
import {
  FINAL_PHASES,
  type CeremonyOutcome,
  type CeremonyStatus,
  type Decision,
  type GateView,
  type Phase,
  type StepOutcome,
  type StepStatus,
  type TimelineEvent,
  type TimelineType,
} from './messages';

/** The ceremony's state, free of Temporal calls so it can be unit-tested and reasoned about on
 * its own. The workflow drives it; queries and validators read it; the rules are gate-rules.ts. */
export class CeremonyState implements GateContext {
  phase: Phase = 'running';
  currentStep: string | null = null;
  readonly decisions: Decision[] = [];
  readonly timeline: TimelineEvent[] = [];
  readonly steps: StepOutcome[];
  irreversibleStarted = false;
  openGate: { step: GateStep; deadline: string; challenge?: string } | null = null;
  cancelRequest: { by: string; reason: string; via?: string } | null = null;
  resolution: { action: 'retry' | 'abort'; by: string; reason: string; via?: string } | null = null;
  /** The failed step waiting for an operator, and the challenge of this intervention. */
  intervention: { step: string; challenge?: string } | null = null;
  /** How many interventions this run has opened (the challenge of each names its number). */
  interventions = 0;
  /** What the worker checked the plan against (activity `checkPolicy`): gates, eligible people,
   * their keys. Null until that check has answered: no gate opens before it. */
  policy: PolicySnapshot | null = null;
  /** Why the worker refused the plan, or a precheck did not hold, when that happened. */
  refusal: string | null = null;
  /** The precheck step that refused the ceremony. */
  refusedBy: string | null = null;
  private readonly usedNonces = new Set<string>();

  constructor(
    readonly ceremonyId: string,
    readonly plan: Plan,
    readonly planDigest: string,
    /** This run's id, when the run issues challenges (`CHALLENGE_PATCH`); undefined in a run
     * from before them, whose decisions are v1 and whose resolve/cancel were unsigned. */
    readonly challengeRunId?: string,
  ) {
    this.steps = plan.steps.map((s) => ({
      id: s.id,
      type: s.type,
      title: s.title,
      irreversible: s.irreversible,
      status: 'pending',
      attempts: 0,
    }));
  }

  /** The challenge of one point of this run (undefined in a run from before challenges). */
  challenge(point: string): string | undefined {
    return this.challengeRunId === undefined ? undefined : runChallenge(this.challengeRunId, point);
  }

  gateChallenge(gate: string): string | undefined {
    return this.challenge(gatePoint(gate));
  }

  /** A failed step now waits for an operator: a new intervention, with its own challenge. */
  openIntervention(step: string): string | undefined {
    this.interventions += 1;
    const challenge = this.challenge(interventionPoint(this.interventions));
    this.intervention = { step, ...(challenge ? { challenge } : {}) };
    return challenge;
  }

  get cancelChallenge(): string | undefined {
    return this.challenge(CANCEL_POINT);
  }

  get finished(): boolean {
    return FINAL_PHASES.includes(this.phase);
  }

  get openGateId(): string | undefined {
    return this.openGate?.step.id;
  }

  /** The operators of the worker's inventory that this plan names. */
  get operators(): string[] {
    return this.policy?.operators ?? [];
  }

  record(type: TimelineType, actor: string, detail: string, step?: string): void {
    this.timeline.push({ seq: this.timeline.length + 1, at: new Date().toISOString(), type, actor, step, detail });
  }

  step(id: string): StepOutcome {
    const outcome = this.steps.find((s) => s.id === id);
    if (!outcome) throw new Error(`no step ${id}`);
    return outcome;
  }

  stepStatus(id: string): StepStatus {
    return this.step(id).status;
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

  nonceUsed(nonce: string): boolean {
    return this.usedNonces.has(nonce);
  }

  gateDecisions(gate: string): Decision[] {
    return this.decisions.filter((d) => d.gate === gate);
  }

  gateSatisfied(step: GateStep): boolean {
    return quorumReached(approvers(this.gateDecisions(step.id)), gateQuorum(step));
  }

  gateVetoed(step: GateStep): Decision | undefined {
    return this.gateDecisions(step.id).find((d) => d.decision === 'reject');
  }

  gateView(gate: string): GateView {
    const step = this.plan.steps.find((s) => s.id === gate);
    return {
      gate,
      approvals: approvers(this.gateDecisions(gate)).size,
      quorum: step && isGate(step) ? gateQuorum(step) : 0,
      closed: this.openGateId !== gate,
    };
  }

  /** Why this decision must be refused, or undefined when it may be recorded. */
  refuseDecision(kind: DecisionKind, input: DecisionInput): Refusal | undefined {
    const first = decisionRefusal(this, kind, input);
    if (first) return first;
    const wrong = challengeProblem(`gate "${input.gate}"`, this.openGate?.challenge, input.challenge);
    if (wrong) return refusal('wrong-challenge', wrong);
    const problem = signatureProblem(this, kind, input, Date.now());
    return typeof problem === 'string' ? refusal('bad-signature', problem) : problem;
  }

  /** An accepted decision, resolve or cancel not signed over this run's challenge of its point:
   * ignored (its nonce spent, the timeline saying so), and true. The validator checked the
   * challenge; the handler checks it again because a reset run replays the updates of the run it
   * was reset from without their validators: theirs are that run's challenges, so they do not
   * count here, and no step runs on them (the reset run waits for new decisions, or stops on the
   * history it no longer matches). */
  ignoredFromOtherRun(
    what: string,
    by: string,
    expected: string | undefined,
    input: { challenge?: string; nonce?: string },
    step: string | undefined,
  ): boolean {
    if (this.challengeRunId === undefined || (expected !== undefined && input.challenge === expected)) return false;
    // its nonce stays spent: the emailed link it came from is not good for this run either
    if (input.nonce !== undefined) this.usedNonces.add(input.nonce);
    this.record(
      'decision-ignored',
      by,
      `${what} signed for another run of this ceremony (a reset replays it): not counted`,
      step,
    );
    return true;
  }

  /** Record a decision the validator accepted. */
  decide(kind: DecisionKind, input: DecisionInput): GateView {
    if (this.ignoredFromOtherRun(kind, input.actor, this.gateChallenge(input.gate), input, input.gate))
      return this.gateView(input.gate);
    const via = signedVia(this.policy, input.actor, input.signature.publicKey)!;
    const { gate, actor, planDigest, nonce, comment, reason, reference } = input;
    const decision: Decision = {
      gate,
      actor,
      decision: kind,
      planDigest,
      via,
      nonce,
      signedAt: input.at,
      signature: input.signature,
      at: new Date().toISOString(),
      ...(input.challenge !== undefined ? { challenge: input.challenge } : {}),
      ...(input.identity !== undefined ? { identity: input.identity } : {}),
    };
    Object.assign(
      decision,
      comment !== undefined ? { comment } : {},
      reason !== undefined ? { reason } : {},
      reference !== undefined ? { reference } : {},
    );
    this.usedNonces.add(nonce);
    this.decisions.push(decision);
    const detail =
      kind === 'reject'
        ? `rejected: ${reason}`
        : kind === 'signoff'
          ? `signed off, reference ${reference}`
          : `approved plan ${planDigest.slice(0, 12)}…${comment ? `: ${comment}` : ''}`;
    this.record(kind, actor, `${detail} (via ${via})`, gate);
    return this.gateView(gate);
  }

  pendingApprovers(step: GateStep): string[] {
    const decided = new Set(this.gateDecisions(step.id).map((d) => d.actor));
    return (step.type === 'approval' ? step.approvers : step.contacts).filter((a) => !decided.has(a));
  }

  /** What the worker's policy check recorded for an operation step, if it checked one by that id. */
  checkedStep(stepId: string): PolicySnapshot['steps'][number] | undefined {
    return this.policy?.steps.find((s) => s.id === stepId);
  }

  /** Before an operation step: every gate (or standing approval, or parent) the policy named for
   * it has passed. Why not, or undefined. */
  unmetApproval(stepId: string): string | undefined {
    const required = this.checkedStep(stepId);
    if (!required) return `step ${stepId} was not checked against the policy`;
    const { met, open } = policyMet(required, (id) => this.stepStatus(id) === 'succeeded');
    if (!met)
      return `${required.op} is ${required.kind}: the policy needs ${open.join(', ') || 'an approval'} passed first`;
    return undefined;
  }

  // ---- operator actions --------------------------------------------------

  /** Why a cancel must be refused: who may cancel, then its signature (when this run issues
   * challenges; a run from before took cancels unsigned). */
  refuseCancel(input: OperatorActionInput): Refusal | undefined {
    const by = input.by;
    if (this.finished) return refusal('finished', `ceremony ${this.ceremonyId} is already ${this.phase}`);
    if (this.irreversibleStarted)
      return refusal(
        'irreversible',
        'an irreversible step has started; the ceremony can no longer be cancelled (an operator may abort at an intervention)',
      );
    // until the worker's policy check answers nothing has run, and stopping is always safe: the
    // plan's operators may cancel then (a plan naming others is refused by that check anyway)
    const operators = this.policy ? this.operators : this.plan.operators;
    if (by !== this.plan.requester && !operators.includes(by))
      return refusal('not-eligible', `${by} is neither the requester nor an operator`);
    if (this.cancelRequest) return refusal('duplicate', 'cancellation already requested');
    if (this.challengeRunId === undefined) return undefined;
    return operatorActionProblem(this, 'cancel', '', input, this.cancelChallenge, Date.now());
  }

  refuseResolve(input: OperatorActionInput & { action: 'retry' | 'abort'; step?: string }): Refusal | undefined {
    const by = input.by;
    if (this.phase !== 'needs-intervention')
      return refusal('not-needed', `ceremony ${this.ceremonyId} is ${this.phase}, not waiting for an intervention`);
    if (!this.operators.includes(by)) return refusal('not-eligible', `${by} is not an operator`);
    if (this.resolution) return refusal('duplicate', 'a resolution is already being applied');
    if (this.challengeRunId === undefined) return undefined;
    const waiting = this.intervention?.step ?? '';
    if (input.signature && input.step !== waiting)
      return refusal(
        'not-needed',
        `the resolve names step ${input.step ?? '(none)'}, but step ${waiting} waits for an intervention`,
      );
    return operatorActionProblem(this, input.action, waiting, input, this.intervention?.challenge, Date.now());
  }

  /** A resolve or cancel the validator accepted: its nonce is used, and how it was signed. */
  acceptAction(input: OperatorActionInput): string | undefined {
    if (input.nonce !== undefined) this.usedNonces.add(input.nonce);
    return input.signature ? actionSignedVia(this.policy, input.by, input.signature.publicKey) : undefined;
  }

  // ---- views -------------------------------------------------------------

  outcome(): CeremonyOutcome {
    return { ...this.status(), timeline: [...this.timeline] };
  }

  status(): CeremonyStatus {
    const gate = this.openGate;
    const { kind, title, hsm, ticket, requester } = this.plan;
    return {
      ceremonyId: this.ceremonyId,
      ...{ kind, title, hsm, ticket, requester },
      planDigest: this.planDigest,
      phase: this.phase,
      currentStep: this.currentStep,
      openGate: gate
        ? {
            id: gate.step.id,
            quorum: gateQuorum(gate.step),
            approvedBy: [...approvers(this.gateDecisions(gate.step.id))],
            pending: this.pendingApprovers(gate.step),
            deadline: gate.deadline,
            ...(gate.challenge ? { challenge: gate.challenge } : {}),
          }
        : undefined,
      ...(this.phase === 'needs-intervention' && this.intervention ? { intervention: { ...this.intervention } } : {}),
      ...(this.cancelChallenge && !this.finished ? { cancelChallenge: this.cancelChallenge } : {}),
      decisions: [...this.decisions],
      steps: this.steps.map((s) => ({ ...s })),
      cancellable: !this.finished && !this.irreversibleStarted,
      ...(this.refusal ? { refusal: this.refusal } : {}),
      ...(this.refusedBy ? { refusedBy: this.refusedBy } : {}),
    };
  }
}
