import type { OperationName } from '../ceremonies/operations';
import type { OperationState } from './operation-states';
import type { SideActivities } from './side-activities';

export type {
  NotificationInput,
  NotificationKind,
  PolicyCheckInput,
  SideActivities,
  TicketCommentInput,
} from './side-activities';

// The activities a worker registers and the workflow calls, by name: one per operation of the
// catalogue, named as the operation, and the three beside the steps. The worker's
// `createActivities` satisfies `Activities`; the workflow proxies `Activities`; the audit decodes
// a history's activities by these names.

/** The activities beside the steps (mail, ticket comments, the worker's policy check). */
export const SIDE_ACTIVITY_NAMES = ['notify', 'ticketComment', 'checkPolicy'] as const;
export type SideActivityName = (typeof SIDE_ACTIVITY_NAMES)[number];
export type ActivityName = SideActivityName | OperationName;

export function isSideActivityName(name: string): name is SideActivityName {
  return (SIDE_ACTIVITY_NAMES as readonly string[]).includes(name);
}

/** What the workflow gives an operation's activity. */
export interface OperationInput<N extends OperationName = OperationName> {
  ceremonyId: string;
  /** The ceremony's kind (a standing approval covers one kind). */
  kind: string;
  stepId: string;
  op: N;
  /** Inventory reference of the target appliance, for device steps. */
  hsm?: string;
  /** The plan's arguments as written: the worker parses them with the operation's schema. */
  args: Record<string, string | number | boolean>;
  /** The outcomes of the steps this one `requires` (e.g. whether an assignment was made by this
   * ceremony or found in place). */
  earlier?: Record<string, OperationOutcome | undefined>;
  /** The verified state of the steps this one `requires` (their evidence's `verify`). */
  earlierState?: Record<string, Record<string, unknown> | undefined>;
  /** The operator's decision that runs this step again after it failed. */
  rerunBy?: { by: string; reason: string };
}

/** `applied`: the probe found the effect missing and act + verify ran;
 *  `already-present`: the probe found the effect, nothing was changed;
 *  `checked`: a check that holds;
 *  `present` / `absent`: a probe-only condition, either way a success. */
export type OperationOutcome = 'applied' | 'already-present' | 'checked' | 'present' | 'absent';

/** What an operation proves it did: goes into history, so never a secret. */
export interface OperationEvidence<N extends OperationName = OperationName> {
  op: N;
  outcome: OperationOutcome;
  probe: OperationState<N>;
  verify: OperationState<N>;
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

/** One device command of an attempt, its output scrubbed. */
export interface TranscriptEntry {
  user: string;
  command: string;
  code: number;
  output: string;
  /** When the command was sent (the worker's clock) and how long its answer took. */
  at?: string;
  ms?: number;
  /** The `Warning:` lines the device printed with its answer. */
  warnings?: string[];
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

/** One activity per operation, named as it, typed by its name. */
export type OperationActivities = { [N in OperationName]: (input: OperationInput<N>) => Promise<OperationEvidence<N>> };

/** Every activity the worker registers. */
export type Activities = SideActivities & OperationActivities;

/** The input an activity takes and the result it returns, by its name. */
export type ActivityInput<A extends ActivityName> = Parameters<Activities[A]>[0];
export type ActivityResult<A extends ActivityName> = Awaited<ReturnType<Activities[A]>>;
