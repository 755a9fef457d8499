/** Shapes shared by the workflow (type-only) and the activities. */

export type { ApiCall, DeviceWarning, OperationEvidence, OperationInput, OperationOutcome } from '../contract/activities';

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
