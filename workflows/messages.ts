import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { EmailSchema, SlugSchema } from '../ceremonies/identifiers';
import type { Plan, Step } from '../ceremonies/plan';
import type { OperationEvidence } from '../activities/types';

// Inputs of the updates, validated inside the update validators so a bad call is refused
// before anything is written to history.

const Digest = z.string().regex(/^[0-9a-f]{64}$/, 'expected the 64-hex-digit sha256 plan digest');
const Via = z.enum(['cli', 'web', 'email-link', 'api']).default('cli');
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'expected a link nonce').optional();
const Reason = z.string().trim().min(1, 'a reason is required').max(2000);

export const ApproveInputSchema = z.object({
  gate: SlugSchema,
  approver: EmailSchema,
  planDigest: Digest,
  comment: z.string().max(2000).optional(),
  via: Via,
  nonce: Nonce,
});
export const RejectInputSchema = ApproveInputSchema.omit({ comment: true }).extend({ reason: Reason });
export const SignoffInputSchema = z.object({
  gate: SlugSchema,
  by: EmailSchema,
  planDigest: Digest,
  /** The external signer's reference (e.g. Microsoft's case number). */
  reference: z.string().trim().min(1, 'the signer\'s reference is required').max(200),
  via: Via,
  nonce: Nonce,
});
export const ResolveInputSchema = z.object({ action: z.enum(['retry', 'abort']), by: EmailSchema, reason: Reason });
export const CancelInputSchema = z.object({ by: EmailSchema, reason: Reason });

export type ApproveInput = z.input<typeof ApproveInputSchema>;
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
] as const;
export type Phase = (typeof PHASES)[number];
export const FINAL_PHASES: readonly Phase[] = ['completed', 'rejected', 'expired', 'aborted', 'cancelled'];

export type StepStatus = 'pending' | 'running' | 'awaiting' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'aborted' | 'cancelled' | 'skipped';

export interface Decision {
  gate: string;
  actor: string;
  decision: 'approve' | 'reject' | 'signoff';
  planDigest: string;
  at: string;
  via: string;
  comment?: string;
  reason?: string;
  reference?: string;
  nonce?: string;
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
