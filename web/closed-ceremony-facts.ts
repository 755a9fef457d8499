import type { PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  acceptedUpdates,
  activityRuns,
  auditEvents,
  type ActivityOutcome,
  type ActivityRun,
} from '../audit/verifier/history';
import type { CeremonyStatus } from '../workflows/messages';

type History = temporal.api.history.v1.IHistory;

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

/** Activities beside the steps: counted as deliveries, not step runs (the policy check neither). */
const CHANNELS = {
  notify: 'notification',
  ticketComment: 'ticket-comment',
  checkPolicy: undefined,
} as const satisfies Record<
  Extract<ActivityRun, { kind: 'side' }>['name'],
  ClosedCeremonyFacts['deliveries'][number]['channel'] | undefined
>;

export async function closedCeremonyFacts(history: History, codec?: PayloadCodec): Promise<ClosedCeremonyFacts> {
  const decoded = await auditEvents(history, codec);
  const status = decoded.find((e) => e.completedResult !== undefined)?.completedResult as CeremonyStatus | undefined;
  const input = decoded.find((e) => e.startInput !== undefined)?.startInput as { plan?: { kind?: string } } | undefined;
  const last = decoded[decoded.length - 1];

  const facts: ClosedCeremonyFacts = {
    kind: status?.kind ?? input?.plan?.kind ?? 'unknown',
    phase: status?.phase ?? (last?.type ?? '').replace(/^EVENT_TYPE_WORKFLOW_EXECUTION_/, '').toLowerCase(),
    gates: (status?.steps ?? [])
      .filter((s) => (s.type === 'approval' || s.type === 'signoff') && s.startedAt && s.endedAt)
      .map((s) => ({
        type: s.type,
        outcome: s.status,
        seconds: (Date.parse(s.endedAt!) - Date.parse(s.startedAt!)) / 1000,
      })),
    decisions: (status?.decisions ?? []).map((d) => ({ decision: d.decision, via: d.via })),
    operations: [],
    interventions: acceptedUpdates(decoded).filter((u) => u.kind === 'update' && u.name === 'resolve').length,
    deliveries: [],
  };
  for (const run of activityRuns(decoded)) {
    if (run.outcome === undefined) continue;
    if (run.kind === 'side') {
      const channel = CHANNELS[run.name];
      if (channel) facts.deliveries.push({ channel, outcome: run.outcome, attempts: run.attempts });
    } else facts.operations.push({ operation: run.name, outcome: run.outcome, seconds: run.seconds ?? 0 });
  }
  return facts;
}
