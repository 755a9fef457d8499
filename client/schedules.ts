import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleSummary,
} from '@temporalio/client';
import { buildPlan } from '../ceremonies/build-plan';
import { durationMs } from '../ceremonies/duration';
import type { Inventory } from '../ceremonies/inventory';
import { ValidationError } from '../ceremonies/validation';
import { ceremonySearchAttributes } from '../contract/search-attributes';
import { CeremonyRefusal, type CeremonyClient } from './ceremony-client';
import { CEREMONY_WORKFLOW } from '../contract/messages';

/** The ceremonies that run on a schedule, and how their schedules are named (one per kind and
 * HSM): periodic backups, and restore drills that prove them. */
export const SCHEDULED_KINDS = {
  backup: { prefix: 'backup-', what: 'backup' },
  'restore-drill': { prefix: 'drill-', what: 'restore drill' },
} as const;
export type ScheduledKind = keyof typeof SCHEDULED_KINDS;

export interface ScheduleRequest {
  kind: ScheduledKind;
  hsm: string;
  partitions: string[];
  /** e.g. `24h`, `7d` */
  every: string;
  requester: string;
  /** Each run is then covered by this pre-approval instead of waiting at a gate. */
  standingApproval?: string;
}

export interface ScheduleView {
  scheduleId: string;
  hsm?: string;
  every?: string;
  paused: boolean;
  note?: string;
  nextRun?: string;
  recentRuns: { ceremonyId: string; at: string }[];
}

const isScheduled = (scheduleId: string) => Object.values(SCHEDULED_KINDS).some((k) => scheduleId.startsWith(k.prefix));

/** Periodic ceremonies as Temporal Schedules: each run is a ceremony (a backup, or a restore drill)
 * whose plan was built (and can be read) when the schedule was created. One schedule per kind and
 * HSM. */
export class CeremonySchedules {
  constructor(private readonly ceremonies: CeremonyClient) {}

  private get schedules() {
    return this.ceremonies.client.schedule;
  }

  async create(request: ScheduleRequest, inventory: Inventory): Promise<{ scheduleId: string; planDigest: string }> {
    const { prefix, what } = SCHEDULED_KINDS[request.kind];
    let every: number;
    try {
      every = durationMs(request.every);
    } catch {
      throw new ValidationError('schedule', [
        `every: expected a duration such as "24h" or "7d", got ${JSON.stringify(request.every)}`,
      ]);
    }
    if (every < 60_000) throw new ValidationError('schedule', [`every: ${what}s run at most once a minute`]);
    const scheduleId = `${prefix}${request.hsm}`;
    const ticket = `schedule:${scheduleId}`;
    const { plan, digest } = buildPlan(
      {
        kind: request.kind,
        hsm: request.hsm,
        ticket,
        requester: request.requester,
        params: {
          partitions: request.partitions.join(','),
          ...(request.standingApproval ? { standingApproval: request.standingApproval } : {}),
        },
      },
      inventory,
    );
    try {
      await this.schedules.create({
        scheduleId,
        spec: { intervals: [{ every }] },
        action: {
          type: 'startWorkflow',
          workflowType: CEREMONY_WORKFLOW,
          args: [{ plan }],
          taskQueue: this.ceremonies.taskQueue,
          workflowId: `ceremony-${scheduleId}`, // Temporal appends the run's time
          typedSearchAttributes: ceremonySearchAttributes(plan),
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h' },
        memo: { hsm: request.hsm, every: request.every, planDigest: digest },
        state: {
          note: `created by ${request.requester}${request.standingApproval ? `; standing approval ${request.standingApproval}` : '; each run waits for its approval gate'}`,
        },
      });
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning)
        throw new CeremonyRefusal(
          `a ${what} schedule for ${request.hsm} already exists (${scheduleId}); delete it first to change it`,
        );
      throw err;
    }
    return { scheduleId, planDigest: digest };
  }

  async list(): Promise<ScheduleView[]> {
    const out: ScheduleView[] = [];
    for await (const summary of this.schedules.list()) {
      if (isScheduled(summary.scheduleId)) out.push(view(summary));
    }
    return out;
  }

  async describe(scheduleId: string): Promise<ScheduleView> {
    const d = await this.call(scheduleId, () => this.schedules.getHandle(scheduleId).describe());
    return {
      scheduleId,
      hsm: d.memo?.hsm as string | undefined,
      every: d.memo?.every as string | undefined,
      paused: d.state.paused,
      note: d.state.note,
      nextRun: d.info.nextActionTimes[0]?.toISOString(),
      recentRuns: d.info.recentActions.map((a) => ({
        ceremonyId: a.action.workflow.workflowId,
        at: a.takenAt.toISOString(),
      })),
    };
  }

  pause(scheduleId: string, note: string) {
    return this.call(scheduleId, () => this.schedules.getHandle(scheduleId).pause(note));
  }

  unpause(scheduleId: string, note: string) {
    return this.call(scheduleId, () => this.schedules.getHandle(scheduleId).unpause(note));
  }

  trigger(scheduleId: string) {
    return this.call(scheduleId, () => this.schedules.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP));
  }

  delete(scheduleId: string) {
    return this.call(scheduleId, () => this.schedules.getHandle(scheduleId).delete());
  }

  private async call<T>(scheduleId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new CeremonyRefusal(`no schedule ${scheduleId}`);
      throw err;
    }
  }
}

function view(summary: ScheduleSummary): ScheduleView {
  return {
    scheduleId: summary.scheduleId,
    hsm: summary.memo?.hsm as string | undefined,
    every: summary.memo?.every as string | undefined,
    paused: summary.state.paused,
    note: summary.state.note,
    nextRun: summary.info?.nextActionTimes[0]?.toISOString(),
    recentRuns: (summary.info?.recentActions ?? []).map((a) => ({
      ceremonyId: a.action.workflow.workflowId,
      at: a.takenAt.toISOString(),
    })),
  };
}
