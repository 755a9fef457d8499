import type { DecisionUpdateName } from './messages';

// Every type of event a ceremony's timeline records (`CeremonyState.record`): the witness page,
// the audit report and the metrics read them by these names.

export const TIMELINE_TYPES = [
  'ceremony-started',
  'policy-checked',
  'policy-refused',
  'gate-opened',
  'reminder-sent',
  'gate-passed',
  'gate-expired',
  'decision-ignored',
  'step-started',
  'step-succeeded',
  'step-failed',
  'precheck-refused',
  'nothing-to-do',
  'irreversible-started',
  'escalated',
  'intervention',
  'cancel-requested',
  'child-started',
  'child-completed',
  'device-warning',
  'notification-failed',
  'ticket-comment-failed',
  'ceremony-ended',
] as const;

/** A timeline event's type: one of the above, or a gate decision (recorded under its update's name). */
export type TimelineType = (typeof TIMELINE_TYPES)[number] | DecisionUpdateName;

export interface TimelineEvent {
  seq: number;
  at: string;
  type: TimelineType;
  actor: string;
  step?: string;
  detail: string;
}
