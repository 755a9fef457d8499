import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

/** What an auditor reads out of a ceremony's history, payloads decoded, with event ids. */
export interface AuditEvent {
  id: number;
  type: string;
  time: string;
  /** decoded payloads of the event, by role */
  update?: { name: string; args: unknown[] };
  activity?: { scheduledId: number; type: string; input: unknown };
  activityResult?: { scheduledId: number; result: unknown };
  childCompleted?: { workflowId: string; result: unknown };
  startInput?: unknown;
  /** From the start event: which workflow and run this is, and who started it as a child. */
  started?: { workflowId: string; runId: string; parentWorkflowId?: string };
  completedResult?: unknown;
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

/** Payloads through the codec (decryption) when there is one, then the JSON converter. */
async function decoderFor(history: History, codec?: PayloadCodec): Promise<Decode> {
  if (!codec) return (payloads) => (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as never));
  // decrypt every payload of the history up front, so event parsing stays synchronous
  const all: Payload[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if ('metadata' in v && 'data' in v) all.push(v as Payload);
      else Object.values(v).forEach(collect);
    }
  };
  collect(history.events);
  const decoded = await codec.decode(all as never);
  const byRef = new Map(all.map((p, i) => [p, decoded[i]]));
  return (payloads) => (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload((byRef.get(p) ?? p) as never));
}

/** `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`, whether the history holds names or numbers. */
export function eventTypeName(value: unknown): string {
  if (typeof value === 'number') return temporal.api.enums.v1.EventType[value] ?? `EVENT_TYPE_${value}`;
  return String(value);
}

export function parseHistoryJson(json: unknown): History {
  return historyFromJSON(json);
}

export async function auditEvents(history: History, codec?: PayloadCodec): Promise<AuditEvent[]> {
  const decode = await decoderFor(history, codec);
  const scheduled = new Map<number, { type: string; input: unknown }>();
  return (history.events ?? []).map((e) => {
    const id = Number(e.eventId);
    const type = eventTypeName(e.eventType);
    const seconds = Number(e.eventTime?.seconds ?? 0);
    const event: AuditEvent = { id, type, time: new Date(seconds * 1000 + Math.floor(Number(e.eventTime?.nanos ?? 0) / 1e6)).toISOString() };
    const start = e.workflowExecutionStartedEventAttributes;
    if (start) {
      event.startInput = decode(start.input?.payloads)[0];
      const parent = start.parentWorkflowExecution?.workflowId;
      event.started = { workflowId: String(start.workflowId ?? ''), runId: String(start.originalExecutionRunId || start.firstExecutionRunId || ''), ...(parent ? { parentWorkflowId: parent } : {}) };
    }
    if (e.workflowExecutionCompletedEventAttributes) event.completedResult = decode(e.workflowExecutionCompletedEventAttributes.result?.payloads)[0];
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (accepted) event.update = { name: String(accepted.name), args: decode(accepted.args?.payloads) };
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      const activity = { type: String(sched.activityType?.name), input: decode(sched.input?.payloads)[0] };
      scheduled.set(id, activity);
      event.activity = { scheduledId: id, ...activity };
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) event.activityResult = { scheduledId: Number(done.scheduledEventId), result: decode(done.result?.payloads)[0] };
    const child = e.childWorkflowExecutionCompletedEventAttributes;
    if (child) event.childCompleted = { workflowId: String(child.workflowExecution?.workflowId), result: decode(child.result?.payloads)[0] };
    return event;
  });
}
