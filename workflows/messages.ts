import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { EmailSchema, SlugSchema } from '../ceremonies/identifiers';
import type { DecisionSignature } from '../ceremonies/decision-signature';
import { freeTextProblem } from '../ceremonies/free-text';
import type { RefusalCode } from './gate-rules';
import type { Plan, Step } from '../ceremonies/plan';
import type { OperationEvidence } from '../activities/types';

// Inputs of the updates, validated inside the update validators so a bad call is refused
// before anything is written to history.

const Digest = z.string().regex(/^[0-9a-f]{64}$/, 'expected the 64-hex-digit sha256 plan digest');
/** Random per decision (the link's own for a link decision): a used nonce is refused. */
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected a nonce of 16-128 base64url characters');
const text = (what: string, options: { multiline?: boolean; required?: boolean; max: number }) =>
  z
    .string()
    .max(options.max)
    .superRefine((value, ctx) => {
      if (options.required === false && value === '') return;
      const problem = freeTextProblem(value, { multiline: Boolean(options.multiline) });
      if (problem) ctx.addIssue({ code: 'custom', message: problem.startsWith('must contain') ? `${what} is required: it ${problem}` : `${what} ${problem}` });
    });
const Reason = text('a reason', { multiline: true, max: 2000 });
const Signature = z
  .object({ alg: z.literal('ed25519'), publicKey: z.string().max(100), value: z.string().max(200) })
  .strict();
/** Who decided is proven by the signature over these fields, never by a field alone; how the
 * decision came (own key or emailed link) follows from which key signed. */
const signed = { planDigest: Digest, nonce: Nonce, at: z.iso.datetime({ message: 'expected the signing time (ISO 8601, UTC)' }), signature: Signature };

export const ApproveInputSchema = z
  .object({ gate: SlugSchema, approver: EmailSchema, comment: text('the comment', { multiline: true, required: false, max: 2000 }).optional(), ...signed })
  .strict();
export const RejectInputSchema = z.object({ gate: SlugSchema, approver: EmailSchema, reason: Reason, ...signed }).strict();
export const SignoffInputSchema = z
  .object({
    gate: SlugSchema,
    by: EmailSchema,
    /** The external signer's reference (e.g. Microsoft's case number). */
    reference: text("the signer's reference", { max: 200 }),
    ...signed,
  })
  .strict();
export const ResolveInputSchema = z.object({ action: z.enum(['retry', 'abort']), by: EmailSchema, reason: Reason }).strict();
export const CancelInputSchema = z.object({ by: EmailSchema, reason: Reason }).strict();

/** A decision as a page would submit it, asked before anyone signs: may it be recorded? */
export const CheckDecisionInputSchema = z
  .object({ kind: z.enum(['approve', 'reject', 'signoff']), gate: SlugSchema, actor: EmailSchema, planDigest: Digest, nonce: Nonce })
  .strict();

export type ApproveInput = z.input<typeof ApproveInputSchema>;
export type CheckDecisionInput = z.input<typeof CheckDecisionInputSchema>;
export type RejectInput = z.input<typeof RejectInputSchema>;
export type SignoffInput = z.input<typeof SignoffInputSchema>;
export type ResolveInput = z.input<typeof ResolveInputSchema>;
export type CancelInput = z.input<typeof CancelInputSchema>;

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

export type StepStatus = 'pending' | 'running' | 'awaiting' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'aborted' | 'cancelled' | 'skipped';

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

export interface TimelineEvent {
  seq: number;
  at: string;
  type: string;
  actor: string;
  step?: string;
  detail: string;
}

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
  openGate?: { id: string; quorum: number; approvedBy: string[]; pending: string[]; deadline: string };
  decisions: Decision[];
  steps: StepOutcome[];
  cancellable: boolean;
  /** Why the worker refused the plan, or why a precheck did not hold (phase `refused`). */
  refusal?: string;
  /** The precheck step that refused the ceremony, when it was one (else the policy check). */
  refusedBy?: string;
}

export interface GateView {
  gate: string;
  approvals: number;
  quorum: number;
  closed: boolean;
}

export interface CeremonyInput {
  plan: Plan;
}

export const approveUpdate = defineUpdate<GateView, [ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<GateView, [RejectInput]>('reject');
export const signoffUpdate = defineUpdate<GateView, [SignoffInput]>('signoff');
export const resolveUpdate = defineUpdate<{ phase: Phase }, [ResolveInput]>('resolve');
export const cancelUpdate = defineUpdate<{ phase: Phase }, [CancelInput]>('cancel');
export const statusQuery = defineQuery<CeremonyStatus>('status');
export const timelineQuery = defineQuery<TimelineEvent[]>('timeline');
export const planQuery = defineQuery<{ plan: Plan; planDigest: string }>('plan');
/** The refusal a decision would meet now (its signature aside), or null. */
export const checkDecisionQuery = defineQuery<{ code: RefusalCode; message: string } | null, [CheckDecisionInput]>('checkDecision');
