import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { isOperationName, type OperationName } from '../../ceremonies/operations';
import {
  isSideActivityName,
  type ActivityInput,
  type ActivityResult,
  type SideActivityName,
} from '../../contract/activities';
import { isUpdateName, type UpdateName } from '../../contract/messages';
import { LOCAL_STEP_SUMMARY, type Updates } from '../../workflows/messages';
import { eventIdOf, normaliseType } from './history-shape';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

/** What an auditor reads out of a ceremony's history, payloads decoded, with event ids. */
export interface AuditEvent {
  id: number;
  type: string;
  time: string;
  /** decoded payloads of the event, by role */
  update?: { name: string; args: unknown[] };
  /** An activity scheduled, or a local activity's marker (`local`: the event records its run and
   * its result at once, with its attempt and how long it ran by the worker's clock; its input is
   * the plan's step that its summary names). */
  activity?: { scheduledId: number; type: string; input: unknown; local?: { attempt: number; ms: number } };
  activityResult?: { scheduledId: number; result: unknown };
  /** An activity's last attempt failed: its message, failure type and details (a device step's
   * transcript, a check's state). */
  activityFailed?: { scheduledId: number; message: string; type?: string; details?: unknown };
  /** An activity's attempt started (the attempt the server counts). */
  activityStarted?: { scheduledId: number; attempt: number };
  /** An activity timed out, or was cancelled. */
  activityEnded?: { scheduledId: number; outcome: 'timed-out' | 'cancelled' };
  childCompleted?: { workflowId: string; result: unknown };
  startInput?: unknown;
  /** From the start event: which workflow and run this is, and who started it as a child. */
  started?: { workflowId: string; runId: string; parentWorkflowId?: string };
  completedResult?: unknown;
  /** A `patched()` marker: the patch id the workflow recorded here. */
  patch?: string;
}

/** The event types that close a workflow execution: a complete history ends in one of them. */
export const CLOSE_EVENT_TYPES = [
  'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
];

type Decode = (payloads: Payload[] | null | undefined) => unknown[];

function failedRun(
  failure: temporal.api.failure.v1.IFailure | null | undefined,
  decode: Decode,
): { message: string; type?: string; details?: unknown } {
  const info = failure?.applicationFailureInfo;
  return {
    message: String(failure?.message ?? ''),
    type: info?.type || undefined,
    details: info ? decode(info.details?.payloads)[0] : undefined,
  };
}

/** Payloads through the codec (decryption) when there is one, then the JSON converter. */
async function decoderFor(history: History, codec?: PayloadCodec): Promise<Decode> {
  if (!codec) return (payloads) => (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as never));
  // decrypt every payload of the history up front, so event parsing stays synchronous
  const all: Payload[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if ('metadata' in v && 'data' in v) all.push(v);
      else Object.values(v).forEach(collect);
    }
  };
  collect(history.events);
  const decoded = await codec.decode(all);
  const byRef = new Map(all.map((p, i) => [p, decoded[i]]));
  return (payloads) => (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload((byRef.get(p) ?? p) as never));
}

/** `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`, whether the history holds names or numbers. */
export function eventTypeName(value: unknown): string {
  if (typeof value === 'number') return temporal.api.enums.v1.EventType[value] ?? `EVENT_TYPE_${value}`;
  return String(value);
}

/**
 * The part of an exported history (proto JSON, `temporal workflow show --output json`) that the
 * audit reads: each event's id, type and time, and the attributes `auditEvents` uses, payloads as
 * bytes. The SDK's full parser (protobufjs) takes three times as long; the replay, which needs
 * every field, uses it. A value not of the expected type throws: the history cannot be read.
 */
export function parseHistoryJson(json: unknown): History {
  const events = record(json, 'the history').events;
  if (!Array.isArray(events)) throw new TypeError('the history has no events array');
  return { events: events.map((e, i) => readEvent(record(e, `the event at position ${i + 1}`), i)) };
}

type Json = Record<string, unknown>;

function record(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${what} is not an object`);
  return value as Json;
}

/** A nested object, or undefined when absent. */
function part(parent: Json, key: string, what: string): Json | undefined {
  return parent[key] === undefined || parent[key] === null ? undefined : record(parent[key], `${what}.${key}`);
}

function text(parent: Json | undefined, key: string, what: string): string | undefined {
  const v = parent?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${what}.${key} is not a string`);
  return v;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytes(value: unknown, what: string): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array();
  if (typeof value !== 'string' || !BASE64.test(value)) throw new TypeError(`${what} is not base64`);
  return Buffer.from(value, 'base64');
}

function payloads(parent: Json | undefined, key: string, what: string): { payloads: Payload[] } | undefined {
  const holder = parent && part(parent, key, what);
  if (!holder) return undefined;
  const list = holder.payloads ?? [];
  if (!Array.isArray(list)) throw new TypeError(`${what}.${key}.payloads is not an array`);
  return {
    payloads: list.map((raw, i) => {
      const p = record(raw, `${what}.${key}.payloads[${i}]`);
      const metadata = part(p, 'metadata', `${what}.${key}.payloads[${i}]`) ?? {};
      return {
        metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, bytes(v, `payload metadata ${k}`)])),
        data: bytes(p.data, 'payload data'),
      };
    }),
  };
}

/** RFC 3339 as proto JSON writes a Timestamp, to seconds and nanos. */
function timestamp(value: unknown, what: string): { seconds: number; nanos: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const m =
    typeof value === 'string'
      ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value)
      : null;
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new TypeError(`${what} is not an RFC 3339 time`);
  return { seconds: ms / 1000, nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function readEvent(e: Json, i: number): temporal.api.history.v1.IHistoryEvent {
  const at = `the event at position ${i + 1}`;
  const id = eventIdOf(e.eventId);
  const type = normaliseType(e.eventType);
  if (id === undefined) throw new TypeError(`${at} has no valid event id`);
  if (type === undefined) throw new TypeError(`event ${id} has an unknown event type`);
  const what = `event ${id}`;
  const event: temporal.api.history.v1.IHistoryEvent = {
    eventId: id as never,
    eventType: `EVENT_TYPE_${type}` as never,
    eventTime: timestamp(e.eventTime, `${what}.eventTime`) as never,
  };

  const started = part(e, 'workflowExecutionStartedEventAttributes', what);
  if (started) {
    const parent = part(started, 'parentWorkflowExecution', what);
    event.workflowExecutionStartedEventAttributes = {
      input: payloads(started, 'input', what),
      workflowId: text(started, 'workflowId', what),
      originalExecutionRunId: text(started, 'originalExecutionRunId', what),
      firstExecutionRunId: text(started, 'firstExecutionRunId', what),
      ...(parent ? { parentWorkflowExecution: { workflowId: text(parent, 'workflowId', what) } } : {}),
    };
  }
  const completed = part(e, 'workflowExecutionCompletedEventAttributes', what);
  if (completed) event.workflowExecutionCompletedEventAttributes = { result: payloads(completed, 'result', what) };
  const accepted = part(e, 'workflowExecutionUpdateAcceptedEventAttributes', what);
  const request = accepted && part(accepted, 'acceptedRequest', what);
  const input = request && part(request, 'input', what);
  if (accepted)
    event.workflowExecutionUpdateAcceptedEventAttributes = input
      ? { acceptedRequest: { input: { name: text(input, 'name', what), args: payloads(input, 'args', what) } } }
      : {};
  const scheduled = part(e, 'activityTaskScheduledEventAttributes', what);
  if (scheduled)
    event.activityTaskScheduledEventAttributes = {
      activityType: { name: text(part(scheduled, 'activityType', what), 'name', what) },
      input: payloads(scheduled, 'input', what),
    };
  const done = part(e, 'activityTaskCompletedEventAttributes', what);
  if (done)
    event.activityTaskCompletedEventAttributes = {
      scheduledEventId: eventIdOf(done.scheduledEventId) as never,
      result: payloads(done, 'result', what),
    };
  const failed = part(e, 'activityTaskFailedEventAttributes', what);
  if (failed)
    event.activityTaskFailedEventAttributes = {
      scheduledEventId: eventIdOf(failed.scheduledEventId) as never,
      failure: failureOf(failed, what),
    };
  const attempt = part(e, 'activityTaskStartedEventAttributes', what);
  if (attempt)
    event.activityTaskStartedEventAttributes = {
      scheduledEventId: eventIdOf(attempt.scheduledEventId) as never,
      attempt: Number(attempt.attempt ?? 1),
    };
  const timedOut = part(e, 'activityTaskTimedOutEventAttributes', what);
  if (timedOut)
    event.activityTaskTimedOutEventAttributes = { scheduledEventId: eventIdOf(timedOut.scheduledEventId) as never };
  const canceled = part(e, 'activityTaskCanceledEventAttributes', what);
  if (canceled)
    event.activityTaskCanceledEventAttributes = { scheduledEventId: eventIdOf(canceled.scheduledEventId) as never };
  const marker = part(e, 'markerRecordedEventAttributes', what);
  if (marker) {
    const details = part(marker, 'details', what);
    event.markerRecordedEventAttributes = {
      markerName: text(marker, 'markerName', what),
      details: {
        data: payloads(details, 'data', what) ?? {},
        result: payloads(details, 'result', what) ?? {},
        ...(details?.[PATCH_DATA] ? { [PATCH_DATA]: payloads(details, PATCH_DATA, what) ?? {} } : {}),
      },
      ...(marker.failure ? { failure: failureOf(marker, what) } : {}),
    };
  }
  const metadata = part(e, 'userMetadata', what);
  const summary = metadata && part(metadata, 'summary', what);
  if (summary) event.userMetadata = { summary: payloads({ s: { payloads: [summary] } }, 's', what)!.payloads[0] };
  const child = part(e, 'childWorkflowExecutionCompletedEventAttributes', what);
  if (child)
    event.childWorkflowExecutionCompletedEventAttributes = {
      workflowExecution: { workflowId: text(part(child, 'workflowExecution', what), 'workflowId', what) },
      result: payloads(child, 'result', what),
    };
  return event;
}

function failureOf(parent: Json, what: string): temporal.api.failure.v1.IFailure {
  const failure = part(parent, 'failure', what);
  const info = failure && part(failure, 'applicationFailureInfo', what);
  return {
    message: text(failure, 'message', what),
    ...(info
      ? { applicationFailureInfo: { type: text(info, 'type', what), details: payloads(info, 'details', what) } }
      : {}),
  };
}

/** Core's record of a local activity: a marker named so, its `data` a JSON object. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
/** Core's record of a `patched()` call, and where its details hold the patch id. */
const PATCH_MARKER = 'core_patch';
const PATCH_DATA = 'patch-data';
interface LocalActivityMarkerData {
  activity_type?: unknown;
  attempt?: unknown;
  complete_time?: { seconds?: unknown; nanos?: unknown };
  original_schedule_time?: { seconds?: unknown; nanos?: unknown };
}

function protoTimeMs(t: { seconds?: unknown; nanos?: unknown } | undefined): number {
  return Number(t?.seconds) * 1000 + Math.floor(Number(t?.nanos ?? 0) / 1e6);
}

export async function auditEvents(history: History, codec?: PayloadCodec): Promise<AuditEvent[]> {
  const decode = await decoderFor(history, codec);
  let planSteps: unknown[] = [];
  return (history.events ?? []).map((e) => {
    const id = Number(e.eventId);
    const type = eventTypeName(e.eventType);
    const seconds = Number(e.eventTime?.seconds ?? 0);
    const event: AuditEvent = {
      id,
      type,
      time: new Date(seconds * 1000 + Math.floor(Number(e.eventTime?.nanos ?? 0) / 1e6)).toISOString(),
    };
    const start = e.workflowExecutionStartedEventAttributes;
    if (start) {
      event.startInput = decode(start.input?.payloads)[0];
      const steps = (event.startInput as { plan?: { steps?: unknown } } | undefined)?.plan?.steps;
      planSteps = Array.isArray(steps) ? steps : [];
      const parent = start.parentWorkflowExecution?.workflowId;
      event.started = {
        workflowId: String(start.workflowId ?? ''),
        runId: String(start.originalExecutionRunId || start.firstExecutionRunId || ''),
        ...(parent ? { parentWorkflowId: parent } : {}),
      };
    }
    if (e.workflowExecutionCompletedEventAttributes)
      event.completedResult = decode(e.workflowExecutionCompletedEventAttributes.result?.payloads)[0];
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (accepted) event.update = { name: String(accepted.name), args: decode(accepted.args?.payloads) };
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched)
      event.activity = {
        scheduledId: id,
        type: String(sched.activityType?.name),
        input: decode(sched.input?.payloads)[0],
      };
    const done = e.activityTaskCompletedEventAttributes;
    if (done)
      event.activityResult = { scheduledId: Number(done.scheduledEventId), result: decode(done.result?.payloads)[0] };
    const failed = e.activityTaskFailedEventAttributes;
    if (failed)
      event.activityFailed = { scheduledId: Number(failed.scheduledEventId), ...failedRun(failed.failure, decode) };
    const attempt = e.activityTaskStartedEventAttributes;
    if (attempt)
      event.activityStarted = { scheduledId: Number(attempt.scheduledEventId), attempt: Number(attempt.attempt ?? 1) };
    const ended = e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (ended)
      event.activityEnded = {
        scheduledId: Number(ended.scheduledEventId),
        outcome: e.activityTaskTimedOutEventAttributes ? 'timed-out' : 'cancelled',
      };
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const data = decode(marker.details?.data?.payloads)[0] as LocalActivityMarkerData | undefined;
      const summary = e.userMetadata?.summary ? decode([e.userMetadata.summary])[0] : undefined;
      const stepId =
        typeof summary === 'string' && summary.startsWith(LOCAL_STEP_SUMMARY)
          ? summary.slice(LOCAL_STEP_SUMMARY.length)
          : '';
      const step = planSteps.find(
        (s): s is { id: string; args?: unknown } =>
          typeof s === 'object' && s !== null && (s as { id?: unknown }).id === stepId,
      );
      const type = String(data?.activity_type ?? '');
      const ms = protoTimeMs(data?.complete_time) - protoTimeMs(data?.original_schedule_time);
      event.activity = {
        scheduledId: id,
        type,
        input: { stepId, op: type, args: step?.args ?? {} },
        local: { attempt: Number(data?.attempt ?? 1), ms: Number.isFinite(ms) ? ms : 0 },
      };
      if (marker.failure) event.activityFailed = { scheduledId: id, ...failedRun(marker.failure, decode) };
      else event.activityResult = { scheduledId: id, result: decode(marker.details?.result?.payloads)[0] };
    }
    if (marker?.markerName === PATCH_MARKER) {
      const data = decode(marker.details?.[PATCH_DATA]?.payloads)[0] as { id?: unknown } | undefined;
      if (typeof data?.id === 'string') event.patch = data.id;
    }
    const child = e.childWorkflowExecutionCompletedEventAttributes;
    if (child)
      event.childCompleted = {
        workflowId: String(child.workflowExecution?.workflowId),
        result: decode(child.result?.payloads)[0],
      };
    return event;
  });
}

// A ceremony's history read by the contract's names (contract/): each activity run, discriminated
// by kind (beside the steps, an operation, or a name the contract does not know: a history from
// another version) and then by its name, which types its input and result; each accepted update,
// by its name. Payloads are as recorded (decoded, not validated): a reader checks what it relies on.

export type ActivityOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled';

interface RunRecord {
  /** The event that scheduled it (for a local activity: its marker). */
  scheduledId: number;
  scheduledAt: string;
  /** Until it closed: `undefined` while it runs (an open history). */
  outcome?: ActivityOutcome;
  closedId?: number;
  /** Scheduled to closed (a local activity: its own run, by the worker's clock). */
  seconds?: number;
  attempts: number;
  local: boolean;
  failure?: { message: string; type?: string; details?: unknown };
}

type Run<K extends string, A extends SideActivityName | OperationName> = RunRecord & {
  kind: K;
  name: A;
  /** A local activity's marker does not record its input: the step id, op and args from the plan. */
  input: Partial<ActivityInput<A>>;
  result?: ActivityResult<A>;
};

export type ActivityRun =
  | { [A in SideActivityName]: Run<'side', A> }[SideActivityName]
  | { [N in OperationName]: Run<'operation', N> }[OperationName]
  | (RunRecord & { kind: 'unknown'; name: string; input: unknown; result?: unknown });

/** Every activity run of the history, in the order they were scheduled. */
export function activityRuns(events: AuditEvent[]): ActivityRun[] {
  const runs = new Map<number, ActivityRun>();
  for (const e of events) {
    if (e.activity) {
      const { type, input, local } = e.activity;
      const kind = isSideActivityName(type) ? 'side' : isOperationName(type) ? 'operation' : 'unknown';
      runs.set(e.id, {
        kind,
        name: type,
        input,
        scheduledId: e.id,
        scheduledAt: e.time,
        attempts: local?.attempt ?? 1,
        local: local !== undefined,
      } as ActivityRun);
    }
    const attempt = e.activityStarted && runs.get(e.activityStarted.scheduledId);
    if (attempt) attempt.attempts = e.activityStarted!.attempt;
    const closed = e.activityResult ?? e.activityFailed ?? e.activityEnded;
    const run = closed && runs.get(closed.scheduledId);
    if (!run) continue;
    run.outcome = e.activityResult ? 'completed' : e.activityFailed ? 'failed' : e.activityEnded!.outcome;
    run.closedId = e.id;
    run.seconds = e.activity?.local
      ? e.activity.local.ms / 1000
      : (Date.parse(e.time) - Date.parse(run.scheduledAt)) / 1000;
    if (e.activityResult) run.result = e.activityResult.result;
    if (e.activityFailed)
      run.failure = {
        message: e.activityFailed.message,
        type: e.activityFailed.type,
        details: e.activityFailed.details,
      };
  }
  return [...runs.values()];
}

export type AcceptedUpdate =
  | { [U in UpdateName]: { kind: 'update'; eventId: number; name: U; input: Partial<Updates[U]['input']> } }[UpdateName]
  | { kind: 'unknown'; eventId: number; name: string; input: unknown };

/** Every update the workflow accepted, in order, with its input as recorded. */
export function acceptedUpdates(events: AuditEvent[]): AcceptedUpdate[] {
  return events.flatMap((e) =>
    e.update
      ? [
          {
            kind: isUpdateName(e.update.name) ? 'update' : 'unknown',
            eventId: e.id,
            name: e.update.name,
            input: e.update.args[0] ?? {},
          } as AcceptedUpdate,
        ]
      : [],
  );
}
