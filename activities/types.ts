/** Shapes shared by the workflow (type-only) and the activities. */
import type { TranscriptEntry } from './device/device-access';

export interface OperationInput {
  ceremonyId: string;
  /** The ceremony's kind (a standing approval covers one kind). */
  kind: string;
  stepId: string;
  op: string;
  /** Inventory reference of the target appliance, for device steps. */
  hsm?: string;
  args: Record<string, string | number | boolean>;
  /** The outcomes of the steps this one `requires` (e.g. whether an assignment was made by this
   * ceremony or found in place). */
  earlier?: Record<string, OperationEvidence['outcome'] | undefined>;
  /** The verified state of the steps this one `requires` (e.g. the backup label a restore drill's
   * precheck chose, so that its restore and comparison name that one and no other). */
  earlierState?: Record<string, Record<string, unknown> | undefined>;
  /** The operator's decision that runs this step again after it failed. */
  rerunBy?: { by: string; reason: string };
}

/** What an operation proves it did: goes into history, so never a secret. */
export interface OperationEvidence {
  op: string;
  /** `applied`: the probe found the effect missing and act + verify ran;
   *  `already-present`: the probe found the effect, nothing was changed;
   *  `checked`: a check that holds;
   *  `present` / `absent`: a probe-only condition, either way a success. */
  outcome: 'applied' | 'already-present' | 'checked' | 'present' | 'absent';
  probe: Record<string, unknown>;
  verify: Record<string, unknown>;
  commands: string[];
  /** When an earlier attempt had sent the command and was lost: the effect was there at once
   * (`done-before-loss`), showed while this attempt waited (`finished-after-loss`: the command
   * was still running), or never showed in the command's time (`not-started`: sent again). */
  resumed?: 'done-before-loss' | 'finished-after-loss' | 'not-started';
  /** What people must do next, outside the ceremony (e.g. the client owner's commands after a
   * partition is created): sent on the ticket and in the outcome mail. Never a secret. */
  nextSteps?: string[];
  /** Every API call the act made (an Azure ARM DELETE and its polls): what was asked, the status
   * the service answered and what it said of the operation. Never a secret (no token, no body). */
  apiCalls?: ApiCall[];
  /** Every device command run by this attempt, with its result code and scrubbed output. */
  transcript?: (TranscriptEntry & { device: string })[];
  /** The `Warning:` lines the devices printed during this attempt (a battery, the clock), each
   * with the command it came with: the step succeeded, but someone should look. */
  warnings?: DeviceWarning[];
}

export interface DeviceWarning {
  device: string;
  command: string;
  line: string;
}

export interface ApiCall {
  method: string;
  /** The resource (an ARM id) or the operation-status path polled. */
  target: string;
  status: number;
  /** What the answer said of the operation, e.g. an Azure-AsyncOperation status (`InProgress`, `Succeeded`). */
  operationStatus?: string;
  /** The service's id of the request (ARM: x-ms-request-id), to find it in the service's logs. */
  requestId?: string;
}

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
