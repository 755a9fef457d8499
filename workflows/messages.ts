import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecisionSignature, SignInIdentity } from '../ceremonies/decision-signature';
import type { RefusalCode } from './gate-rules';
import type { Plan, Step } from '../ceremonies/plan';
import type { OperationEvidence } from '../contract/activities';
import type { UpdateName, QueryName } from '../contract/messages';
import type { TimelineEvent } from '../contract/timeline';
import type { ApproveInput, CancelInput, CheckDecisionInput, RejectInput, ResolveInput, SignoffInput } from './inputs';

export type { ApproveInput, CancelInput, CheckDecisionInput, RejectInput, ResolveInput, SignoffInput } from './inputs';

/** How a local activity's summary names its step: the audit reads the step back from it. */
export const LOCAL_STEP_SUMMARY = 'step ';
/** The patch (`patched()`) after which the policy check and short reads run as local activities:
 * a history from before it replays as it ran, with activities. */
export const LOCAL_ACTIVITIES_PATCH = 'local-activities';
/** A child ceremony is started with its parent's plan (for the child's catalogue check). */
export const CHILD_PARENT_PLAN_PATCH = 'child-parent-plan';
/** A plan refused by the worker's policy check is reported to the worker's operators only: no
 * ticket comment, no mail to the requester the plan names. */
export const REFUSAL_TO_OPERATORS_PATCH = 'refusal-to-operators';
/** The patch after which each gate, intervention and the cancel point of a run has a challenge
 * that decisions, resolves and cancels must sign (v2), and resolve and cancel are signed: a
 * history from before it replays as it ran. */
export const CHALLENGE_PATCH = 'run-challenges';

export const PHASES = [
  'running',
  'awaiting-approval',
  'awaiting-signoff',
  'waiting',
  'needs-intervention',
  'completed',
  'rejected',
  'expired',
  'aborted',
  'cancelled',
  'refused',
] as const;
export type Phase = (typeof PHASES)[number];
/** `refused`: the plan breaks the worker's policy (nothing ran), or a precheck did not hold (nothing changed, nobody was asked). */
export const FINAL_PHASES: readonly Phase[] = ['completed', 'rejected', 'expired', 'aborted', 'cancelled', 'refused'];

export type StepStatus =
  | 'pending'
  | 'running'
  | 'awaiting'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'expired'
  | 'aborted'
  | 'cancelled'
  | 'skipped';

export interface Decision {
  gate: string;
  actor: string;
  decision: 'approve' | 'reject' | 'signoff';
  planDigest: string;
  at: string;
  /** `cli`: signed with the decider's own key; `email-link`: the web app vouches for the link. */
  via: 'cli' | 'email-link';
  comment?: string;
  reason?: string;
  reference?: string;
  nonce: string;
  /** When the decider signed it, and the signature (checked against the inventory's keys). */
  signedAt: string;
  signature: DecisionSignature;
  /** The gate's challenge in this run, which the signature covers (v2). */
  challenge?: string;
  /** Who the web app's OpenID Connect sign-in said decided (issuer and subject), which the
   * signature covers (v3); absent without sign-in. */
  identity?: SignInIdentity;
}

export interface StepOutcome {
  id: string;
  type: Step['type'];
  title: string;
  irreversible: boolean;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  evidence?: OperationEvidence;
}

export type { TimelineEvent, TimelineType } from '../contract/timeline';

export interface CeremonyStatus {
  ceremonyId: string;
  kind: Plan['kind'];
  title: string;
  hsm: string;
  ticket: string;
  requester: string;
  planDigest: string;
  phase: Phase;
  currentStep: string | null;
  /** For a gate step that is open: who may still act and until when. */
  openGate?: {
    id: string;
    quorum: number;
    approvedBy: string[];
    pending: string[];
    deadline: string;
    challenge?: string;
  };
  /** While a failed step waits for an operator: which, and the challenge a resolve signs. */
  intervention?: { step: string; challenge?: string };
  /** The challenge a cancel signs in this run (while the ceremony has not ended). */
  cancelChallenge?: string;
  decisions: Decision[];
  steps: StepOutcome[];
  cancellable: boolean;
  /** Why the worker refused the plan, or why a precheck did not hold (phase `refused`). */
  refusal?: string;
  /** The precheck step that refused the ceremony, when it was one (else the policy check). */
  refusedBy?: string;
  /** Set by the client (never the workflow): the final phase the ceremony has reached while its
   * workflow has not closed yet (its last mails and ticket comments still going out); `phase`
   * says `running` until it has. */
  ending?: Phase;
}

/** What a ceremony returns when it ends: its final status with its timeline, so that an ended
 * ceremony is read from its result (no worker replays it to answer a query; its plan is the
 * history's first event). */
export interface CeremonyOutcome extends CeremonyStatus {
  timeline: TimelineEvent[];
}

export interface GateView {
  gate: string;
  approvals: number;
  quorum: number;
  closed: boolean;
}

export interface CeremonyInput {
  plan: Plan;
  /** A child ceremony's parent's plan, as the parent runs it (`CHILD_PARENT_PLAN_PATCH`): the
   * child's worker rebuilds it and runs the child only if it embeds exactly this plan. */
  parentPlan?: Plan;
}

// named by the contract's lists (contract/messages.ts): a name missing there does not compile
export const approveUpdate = defineUpdate<GateView, [ApproveInput], UpdateName>('approve');
export const rejectUpdate = defineUpdate<GateView, [RejectInput], UpdateName>('reject');
export const signoffUpdate = defineUpdate<GateView, [SignoffInput], UpdateName>('signoff');
export const resolveUpdate = defineUpdate<{ phase: Phase }, [ResolveInput], UpdateName>('resolve');
export const cancelUpdate = defineUpdate<{ phase: Phase }, [CancelInput], UpdateName>('cancel');
export const statusQuery = defineQuery<CeremonyStatus, [], QueryName>('status');
export const timelineQuery = defineQuery<TimelineEvent[], [], QueryName>('timeline');
export const planQuery = defineQuery<{ plan: Plan; planDigest: string }, [], QueryName>('plan');
/** The refusal a decision would meet now (its signature aside), or null. */
export const checkDecisionQuery = defineQuery<
  { code: RefusalCode; message: string } | null,
  [CheckDecisionInput],
  QueryName
>('checkDecision');

/** What each update takes and answers, by its name. */
export interface Updates {
  approve: { input: ApproveInput; result: GateView };
  reject: { input: RejectInput; result: GateView };
  signoff: { input: SignoffInput; result: GateView };
  resolve: { input: ResolveInput; result: { phase: Phase } };
  cancel: { input: CancelInput; result: { phase: Phase } };
}
