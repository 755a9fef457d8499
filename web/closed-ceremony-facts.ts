import type { PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { auditEvents } from '../audit/verifier/history';
import { SIDE_ACTIVITIES } from '../audit/verifier/invariants';
import { own } from '../ceremonies/own';
import type { CeremonyStatus } from '../workflows/messages';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** What an ended ceremony's history tells the metrics. */
export interface ClosedCeremonyFacts {
  kind: string;
  /** The ceremony's final phase, or the workflow's status when it did not return one (terminated, failed). */
  phase: string;
  gates: { type: string; outcome: string; seconds: number }[];
  decisions: { decision: string; via: string }[];
  /** Each run of a step's activity, scheduled to closed. */
  operations: { operation: string; outcome: ActivityOutcome; seconds: number }[];
  interventions: number;
  deliveries: { channel: 'notification' | 'ticket-comment'; outcome: ActivityOutcome; attempts: number }[];
}

type ActivityOutcome = 'completed' | 'failed' | 'timed-out' | 'cancelled';

/** Activities beside the steps: counted as deliveries, not step runs. */
const CHANNELS: Record<string, 'notification' | 'ticket-comment' | undefined> = { notify: 'notification', ticketComment: 'ticket-comment' };

function timeOf(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor(Number(e.eventTime?.nanos ?? 0) / 1e6);
}

function closeOf(e: HistoryEvent): { scheduledId: number; outcome: ActivityOutcome } | undefined {
  const a = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
  if (!a) return undefined;
  const outcome: ActivityOutcome = e.activityTaskCompletedEventAttributes ? 'completed' : e.activityTaskFailedEventAttributes ? 'failed' : e.activityTaskTimedOutEventAttributes ? 'timed-out' : 'cancelled';
  return { scheduledId: Number(a.scheduledEventId), outcome };
}

export async function closedCeremonyFacts(history: History, codec?: PayloadCodec): Promise<ClosedCeremonyFacts> {
  const events = history.events ?? [];
  const decoded = await auditEvents(history, codec);
  const status = decoded.find((e) => e.completedResult !== undefined)?.completedResult as CeremonyStatus | undefined;
  const input = decoded.find((e) => e.startInput !== undefined)?.startInput as { plan?: { kind?: string } } | undefined;
  const last = decoded[decoded.length - 1];

  const scheduled = new Map<number, { name: string; at: number }>();
  const attempts = new Map<number, number>();
  const facts: ClosedCeremonyFacts = {
    kind: status?.kind ?? input?.plan?.kind ?? 'unknown',
    phase: status?.phase ?? (last?.type ?? '').replace(/^EVENT_TYPE_WORKFLOW_EXECUTION_/, '').toLowerCase(),
    gates: (status?.steps ?? [])
      .filter((s) => (s.type === 'approval' || s.type === 'signoff') && s.startedAt && s.endedAt)
      .map((s) => ({ type: s.type, outcome: s.status, seconds: (Date.parse(s.endedAt!) - Date.parse(s.startedAt!)) / 1000 })),
    decisions: (status?.decisions ?? []).map((d) => ({ decision: d.decision, via: d.via })),
    operations: [],
    interventions: 0,
    deliveries: [],
  };
  for (const e of events) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(Number(e.eventId), { name, at: timeOf(e) });
    const started = e.activityTaskStartedEventAttributes;
    if (started) attempts.set(Number(started.scheduledEventId), started.attempt ?? 1);
    if (e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'resolve') facts.interventions++;
    const closed = closeOf(e);
    const activity = closed && scheduled.get(closed.scheduledId);
    if (!closed || !activity) continue;
    const channel = own(CHANNELS, activity.name);
    if (channel) facts.deliveries.push({ channel, outcome: closed.outcome, attempts: attempts.get(closed.scheduledId) ?? 1 });
    else if (!SIDE_ACTIVITIES.has(activity.name)) facts.operations.push({ operation: activity.name, outcome: closed.outcome, seconds: (timeOf(e) - activity.at) / 1000 });
  }
  // a step run as a local activity: one marker, its run and outcome together
  for (const e of decoded) {
    if (e.activity?.local && !SIDE_ACTIVITIES.has(e.activity.type)) facts.operations.push({ operation: e.activity.type, outcome: e.activityFailed ? 'failed' : 'completed', seconds: e.activity.local.ms / 1000 });
  }
  return facts;
}
