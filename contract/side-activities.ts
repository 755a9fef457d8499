import type { PolicySnapshot } from '../ceremonies/policy';

// The three activities beside the steps: mail, ticket comments and the worker's policy check.

export type NotificationKind =
  | 'approval-requested'
  | 'approval-reminder'
  | 'signoff-requested'
  | 'signoff-reminder'
  | 'needs-intervention'
  | 'support-request'
  | 'outcome';

export interface NotificationInput {
  ceremonyId: string;
  kind: NotificationKind;
  to: string[];
  subject: string;
  /** Plain text; never a secret. */
  body: string;
  gate?: string;
  /** Give each recipient a personal signed link to decide on this gate. */
  link?: { kind: 'approval' | 'signoff'; gate: string; digest: string; deadline: string };
}

/** What the worker's policy check reads. */
export interface PolicyCheckInput {
  ceremonyId: string;
  /** The plan from the workflow's input: validated here in full, trusted for nothing. */
  plan: unknown;
  /** The parent ceremony, from Temporal's own record of who started this workflow. */
  parent?: string;
  /** A child ceremony's parent's plan, as the parent runs it: checked here, trusted for nothing. */
  parentPlan?: unknown;
}

/** A comment on the ceremony's change ticket. */
export interface TicketCommentInput {
  ceremonyId: string;
  /** `<system>:<key>` */
  ticket: string;
  /** Stable name of the event, e.g. `gate-opened:approve`: with the ceremony id, the marker. */
  event: string;
  text: string;
}

export interface SideActivities {
  notify(input: NotificationInput): Promise<void>;
  /** Whether the comment went out now, was there already (a retry), or no adapter serves the ticket's system. */
  ticketComment(input: TicketCommentInput): Promise<'posted' | 'already-posted' | 'no-adapter'>;
  checkPolicy(input: PolicyCheckInput): Promise<PolicySnapshot>;
}
