import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PayloadCodec } from '@temporalio/common';
import type { CeremonyClient } from '../client/ceremony-client';
import { CEREMONY_KINDS } from '../ceremonies/plan';
import { FINAL_PHASES } from '../workflows/messages';
import { CEREMONY_KIND, CEREMONY_PHASE } from '../contract/search-attributes';
import { closedCeremonyFacts, type ClosedCeremonyFacts } from './closed-ceremony-facts';
import { refreshAtMostEvery } from '../runtime/metrics-server';
import { CEREMONY_WORKFLOW } from '../contract/messages';

// The ceremony metrics the web app serves on /metrics. Three sources, none polled more than once
// per refresh interval (a scrape within it gets the figures of the last refresh):
// - visibility: ceremonies by kind and phase (running ones listed, ended ones counted);
// - each ceremony that ends while this process runs: its history, read once (steps, gates,
//   decisions, interventions, retries of mail and ticket comments);
// - this process's own request handling: refused links and webhooks.

const SECONDS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600];
/** How far back each refresh looks for ended ceremonies (visibility lags behind the close). */
const CLOSE_OVERLAP_MS = 5 * 60_000;

export class CeremonyMetrics {
  readonly registry = new Registry();
  private readonly ceremonies = new Gauge({
    name: 'ceremonies',
    help: 'Ceremonies by kind and phase (Temporal visibility)',
    labelNames: ['kind', 'phase'],
    registers: [this.registry],
  });
  private readonly gateWait = new Histogram({
    name: 'ceremony_gate_wait_seconds',
    help: 'How long a gate (approval or sign-off) was open, by how it closed',
    labelNames: ['kind', 'gate_type', 'outcome'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'ceremony_decisions_total',
    help: 'Decisions recorded, by decision and path (email-link or cli)',
    labelNames: ['decision', 'via'],
    registers: [this.registry],
  });
  private readonly stepDuration = new Histogram({
    name: 'ceremony_step_duration_seconds',
    help: "Each run of a step's operation, scheduled to closed (retries included), by operation and outcome",
    labelNames: ['operation', 'outcome'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly interventions = new Counter({
    name: 'ceremony_interventions_total',
    help: 'Operator interventions (resolve: retry or abort) on failed steps',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'ceremony_deliveries_total',
    help: 'Notifications and ticket comments, by channel and outcome',
    labelNames: ['channel', 'outcome'],
    registers: [this.registry],
  });
  private readonly deliveryRetries = new Counter({
    name: 'ceremony_delivery_retries_total',
    help: 'Attempts beyond the first of notifications and ticket comments',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  private readonly ended = new Counter({
    name: 'ceremony_ended_total',
    help: 'Ceremonies that ended while this web app ran, by kind and phase',
    labelNames: ['kind', 'phase'],
    registers: [this.registry],
  });
  private readonly linkRefusals = new Counter({
    name: 'ceremony_link_refusals_total',
    help: 'Emailed decision links refused, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly webhookRefusals = new Counter({
    name: 'ceremony_webhook_refusals_total',
    help: 'Ticket webhooks refused, by system and reason',
    labelNames: ['system', 'reason'],
    registers: [this.registry],
  });
  private readonly refreshFailures = new Counter({
    name: 'ceremony_metrics_refresh_failures_total',
    help: 'Refreshes from Temporal that failed (the figures are then those of the last good one)',
    registers: [this.registry],
  });

  private readonly refreshIfStale: () => Promise<void>;
  /** Ended runs already counted, by run id, with their close time (pruned past the overlap). */
  private readonly counted = new Map<string, number>();
  /** Where the next listing of ended ceremonies starts. */
  private listFrom: number;

  constructor(
    private readonly source: { ceremonies: CeremonyClient; codec?: PayloadCodec },
    private readonly refreshEveryMs = 15_000,
    /** Ceremonies that ended before are not counted (counters start at zero with the process). */
    private readonly startedAt = Date.now(),
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.listFrom = startedAt;
    this.refreshIfStale = refreshAtMostEvery(refreshEveryMs, () => this.refresh());
  }

  linkRefused(reason: string): void {
    this.linkRefusals.inc({ reason });
  }

  webhookRefused(system: string, reason: string): void {
    this.webhookRefusals.inc({ system, reason });
  }

  /** Prometheus text, after a refresh from Temporal if the last is older than the interval. */
  async text(): Promise<string> {
    await this.refreshIfStale();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    try {
      await Promise.all([this.countByKindAndPhase(), this.observeEnded()]);
    } catch {
      this.refreshFailures.inc();
    }
  }

  /** Running ceremonies are few: listed. Ended ones are counted per kind and final phase. */
  private async countByKindAndPhase(): Promise<void> {
    const { client } = this.source.ceremonies;
    const running = new Map<string, number>();
    for await (const info of client.workflow.list({
      query: `WorkflowType = '${CEREMONY_WORKFLOW}' AND ExecutionStatus = 'Running'`,
    })) {
      const kind = info.typedSearchAttributes.get(CEREMONY_KIND) ?? 'unknown';
      const phase = info.typedSearchAttributes.get(CEREMONY_PHASE) ?? 'running';
      running.set(`${kind}\u0000${phase}`, (running.get(`${kind}\u0000${phase}`) ?? 0) + 1);
    }
    const ended = await Promise.all(
      CEREMONY_KINDS.flatMap((kind) =>
        FINAL_PHASES.map(async (phase) => {
          const { count } = await client.workflow.count(
            `WorkflowType = '${CEREMONY_WORKFLOW}' AND ExecutionStatus != 'Running' AND CeremonyKind = '${kind}' AND CeremonyPhase = '${phase}'`,
          );
          return { kind, phase, count };
        }),
      ),
    );
    this.ceremonies.reset();
    for (const [key, count] of running) {
      const [kind, phase] = key.split('\u0000');
      this.ceremonies.set({ kind, phase }, count);
    }
    for (const { kind, phase, count } of ended) if (count > 0) this.ceremonies.set({ kind, phase }, count);
  }

  /** Each ceremony that ended since this process started, read once from its history. */
  private async observeEnded(): Promise<void> {
    const { ceremonies, codec } = this.source;
    const from = new Date(this.listFrom).toISOString();
    let latest = this.listFrom;
    for await (const info of ceremonies.client.workflow.list({
      query: `WorkflowType = '${CEREMONY_WORKFLOW}' AND CloseTime >= '${from}'`,
    })) {
      const closedAt = info.closeTime?.getTime();
      if (closedAt === undefined || closedAt < this.startedAt || this.counted.has(info.runId)) continue;
      const history = await ceremonies.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      this.record(await closedCeremonyFacts(history, codec));
      this.counted.set(info.runId, closedAt);
      latest = Math.max(latest, closedAt);
    }
    // the next listing looks back an overlap before the latest close seen (visibility lags);
    // runs that closed before it will not be listed again: forget them
    this.listFrom = Math.max(this.listFrom, latest - CLOSE_OVERLAP_MS);
    for (const [runId, closedAt] of this.counted) if (closedAt < this.listFrom) this.counted.delete(runId);
  }

  private record(facts: ClosedCeremonyFacts): void {
    this.ended.inc({ kind: facts.kind, phase: facts.phase });
    for (const g of facts.gates)
      this.gateWait.observe({ kind: facts.kind, gate_type: g.type, outcome: g.outcome }, g.seconds);
    for (const d of facts.decisions) this.decisions.inc({ decision: d.decision, via: d.via });
    for (const s of facts.operations)
      this.stepDuration.observe({ operation: s.operation, outcome: s.outcome }, s.seconds);
    if (facts.interventions > 0) this.interventions.inc({ kind: facts.kind }, facts.interventions);
    for (const d of facts.deliveries) {
      this.deliveries.inc({ channel: d.channel, outcome: d.outcome });
      if (d.attempts > 1) this.deliveryRetries.inc({ channel: d.channel }, d.attempts - 1);
    }
  }
}
