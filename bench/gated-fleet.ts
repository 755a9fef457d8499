import type { temporal } from '@temporalio/proto';
import { planDigest } from '../ceremonies/digest';
import { PlanSchema } from '../ceremonies/plan';
import type { CeremonyClient } from '../client/ceremony-client';
import type { CeremonyStatus } from '../workflows/messages';
import type { CeremonyShape } from './floor-workflows';
import { commandSpan, inParallel, parkTimeoutMs, percentile, round, sleep } from './support';

// One run of the fleet bench: N gated ceremonies started and parked at their gate, then released
// at a fixed rate or all at once; what each step took from its ceremony's approval request.

const GATE = 'release';
const APPROVER = 'alice@example.com';
/** After the gate: read-only steps (no approval by policy), one lunash command each. */
const DEVICE_STEPS = [
  { id: 'show', op: 'hsm.show', args: {} },
  { id: 'verify', op: 'hsm.verify', args: { label: 'BENCH', zeroized: false } },
  { id: 'partition', op: 'partition.present', args: { partition: 'payments' } },
  { id: 'licence', op: 'partition.checkLicence', args: {} },
  { id: 'route', op: 'appliance.singleDefaultRoute', args: {} },
] as const;
export const STEPS_PER_CEREMONY = DEVICE_STEPS.length;
export const COMMANDS_PER_STEP = 1;
/** What one of these ceremonies asks of Temporal once released: its device steps (the first an
 * activity, the read-only rest local activities) and the mail and ticket comment beside them when
 * the gate passes and when it ends. The floor runs this shape; `releasedShape` reads it back from
 * a recorded ceremony so that the two cannot drift apart. */
export const CEREMONY_SHAPE: CeremonyShape = { steps: STEPS_PER_CEREMONY, besideAtRelease: 2, besideAtEnd: 2 };
const BESIDE_ACTIVITIES = new Set(['notify', 'ticketComment']);

const STARTS_AT_ONCE = 50;
const POLL_MS = 1000;
/** How long after the last release the ceremonies may take to end before the unfinished count as
 * failures: 2 minutes, and a quarter of a second more for each ceremony (a burst of 1,000 on a busy
 * two-core machine is slow, not failed: its throughput says how slow). */
const finishTimeoutMs = (n: number) => 120_000 + 250 * n;

function gatedPlan(hsm: string, ticket: string) {
  const plan = PlanSchema.parse({
    version: 1,
    kind: 'rehearsal',
    title: 'fleet bench',
    requester: 'scheduler@example.com',
    ticket,
    hsm,
    operators: ['operator@example.com'],
    steps: [
      // read-only steps need no gate: this one makes every ceremony wait until it is released
      {
        id: GATE,
        type: 'approval',
        title: 'Release',
        group: 'security-officers',
        approvers: [APPROVER],
        quorum: 1,
        deadline: '1h',
      },
      ...DEVICE_STEPS.map((s) => ({ ...s, type: 'device', title: s.op, hsm })),
    ],
  });
  return { plan, digest: planDigest(plan) };
}

type Outcome = { final: CeremonyStatus } | { failure: string };

export interface FleetRun {
  n: number;
  /** `burst`: all approvals sent at once. */
  releasePerSecond: number | 'burst';
  parkSeconds: number;
  totalSeconds: number;
  /** From the first approval request to the last ceremony's end. */
  releaseToDoneSeconds: number;
  steps: number;
  /** From the ceremony's approval request (before its round trip) to the step's end. */
  stepP50Ms: number;
  stepP99Ms: number;
  firstStepP99Ms: number;
  /** The least those could be: each step waits for the device latency of its own commands and
   * of the steps before it (k × commands × latency for the k-th step). */
  deviceBound: { stepP50Ms: number; stepP99Ms: number; firstStepP99Ms: number };
  /** A step's own run, from its start to its end. */
  stepDurationP50Ms: number;
  stepDurationP99Ms: number;
  /** The approver's call (`ceremony approve`: the gate's status read, the signed Update), from its
   * request to its answer, retries included. */
  approvalP50Ms: number;
  approvalP99Ms: number;
  failures: number;
  failureExample?: string;
}

const log = (text: string) => process.stderr.write(`[bench] fleet ${text}\n`);

/** `n` ceremonies over `hsms` (round-robin), parked at their gate, then released at `releasePerSecond`.
 * A ceremony that does not park, fails, needs an operator or is not done in time is a failure. */
export async function runGatedFleet(o: {
  ceremonies: CeremonyClient;
  hsms: string[];
  n: number;
  /** Infinity: all at once. */
  releasePerSecond: number;
  deviceLatencyMs: number;
  /** called with one completed ceremony's id before the run returns */
  inspect?: (ceremonyId: string) => Promise<void>;
}): Promise<FleetRun> {
  const { ceremonies, n } = o;
  const tag = Date.now().toString(36);
  const t0 = Date.now();
  const started = new Array<{ id: string; digest: string }>(n);
  await inParallel(n, STARTS_AT_ONCE, async (i) => {
    const { plan, digest } = gatedPlan(o.hsms[i % o.hsms.length], `bench:FLEET-${n}-${tag}-${i}`);
    started[i] = { id: (await ceremonies.startPlan(plan, digest)).ceremonyId, digest };
  });
  const ids = new Set(started.map((s) => s.id));

  const parked = await waitUntilParked(ceremonies, ids, t0 + parkTimeoutMs(n));
  const parkSeconds = (Date.now() - t0) / 1000;
  log(
    `N=${n}: ${parked.size}/${n} parked at the gate after ${round(parkSeconds)} s; releasing ${o.releasePerSecond}/s`,
  );

  const outcomes = new Map<string, Outcome>();
  const waiting = new Map<string, () => void>();
  const done = started.map(({ id }) => new Promise<void>((resolve) => waiting.set(id, resolve)));
  let ended = 0;
  let lastEnd = 0;
  /** The first outcome of a ceremony counts. */
  const settle = (id: string, outcome: Outcome) => {
    if (outcomes.has(id)) return;
    outcomes.set(id, outcome);
    lastEnd = Date.now();
    waiting.get(id)!();
    ended += 1;
    if (ended % Math.max(1, Math.floor(n / 5)) === 0) log(`N=${n}: ${ended}/${n} done`);
  };
  for (const { id } of started) if (!parked.has(id)) settle(id, { failure: 'not parked at the gate in time' });

  /** When each approval was requested (before its Update's round trip), and when it was answered. */
  const releasedAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  const watch = setInterval(() => {
    void ceremonies.list({ phase: 'needs-intervention', limit: n }).then(
      (rows) =>
        rows
          .filter((r) => ids.has(r.ceremonyId))
          .forEach((r) => settle(r.ceremonyId, { failure: 'needs an operator' })),
      () => {},
    );
  }, POLL_MS * 2);
  const toRelease = started.filter(({ id }) => parked.has(id));
  const releaseStart = Date.now();
  toRelease.forEach(({ id, digest }, i) => {
    void sleep(releaseStart + (i * 1000) / o.releasePerSecond - Date.now())
      .then(() => {
        releasedAt.set(id, Date.now());
        return ceremonies.approve(id, { gate: GATE, approver: APPROVER, planDigest: digest });
      })
      .then(() => {
        answeredAt.set(id, Date.now());
        return ceremonies.handle(id).result();
      })
      .then(
        (final) => settle(id, { final }),
        (err: unknown) => settle(id, { failure: err instanceof Error ? err.message : String(err) }),
      );
  });
  const lastRelease = releaseStart + (toRelease.length * 1000) / o.releasePerSecond;
  const timeout = setTimeout(
    () =>
      started.forEach(({ id }) =>
        settle(id, { failure: `not done ${finishTimeoutMs(n) / 1000} s after the last release` }),
      ),
    lastRelease + finishTimeoutMs(n) - Date.now(),
  );
  await Promise.all(done);
  clearInterval(watch);
  clearTimeout(timeout);
  const totalSeconds = (Date.now() - t0) / 1000;

  const failed = [...outcomes].filter(([, out]) => !('final' in out) || out.final.phase !== 'completed');
  // a failure may still be running (parked, needing an operator): end it, it is not measured
  await Promise.allSettled(failed.map(([id]) => ceremonies.handle(id).terminate('fleet bench: counted as a failure')));
  const completed = [...outcomes].find(([, out]) => 'final' in out && out.final.phase === 'completed');
  if (completed && o.inspect) await o.inspect(completed[0]);
  const measured = [...outcomes].flatMap(([id, out]) =>
    'final' in out && out.final.phase === 'completed' ? [{ final: out.final, releasedAt: releasedAt.get(id)! }] : [],
  );
  return {
    n,
    releasePerSecond: Number.isFinite(o.releasePerSecond) ? o.releasePerSecond : 'burst',
    parkSeconds: round(parkSeconds),
    totalSeconds: round(totalSeconds),
    releaseToDoneSeconds: round((lastEnd - releaseStart) / 1000, 2),
    ...stepFigures(measured, o.deviceLatencyMs),
    ...approvalFigures(releasedAt, answeredAt),
    failures: failed.length,
    ...(failed.length ? { failureExample: describeFailure(failed[0]) } : {}),
  };
}

/** When a step's commands were sent and answered, by the worker's clock (its transcript): the
 * workflow's own clock lags within a run of local activities, so its `endedAt` is not used. */
function stepFigures(measured: { final: CeremonyStatus; releasedAt: number }[], deviceLatencyMs: number) {
  const steps = measured.flatMap(({ final, releasedAt }) =>
    final.steps
      .filter((s) => s.type === 'device')
      .map((s, k) => {
        const { sent, answered } = commandSpan(s);
        return { k: k + 1, sinceRelease: answered - releasedAt, duration: answered - sent };
      }),
  );
  const floor = (k: number) => k * COMMANDS_PER_STEP * deviceLatencyMs;
  const first = steps.filter((s) => s.k === 1);
  const p = (values: number[], q: number) => round(percentile(values, q));
  return {
    steps: steps.length,
    stepP50Ms: p(
      steps.map((s) => s.sinceRelease),
      50,
    ),
    stepP99Ms: p(
      steps.map((s) => s.sinceRelease),
      99,
    ),
    firstStepP99Ms: p(
      first.map((s) => s.sinceRelease),
      99,
    ),
    deviceBound: {
      stepP50Ms: p(
        steps.map((s) => floor(s.k)),
        50,
      ),
      stepP99Ms: p(
        steps.map((s) => floor(s.k)),
        99,
      ),
      firstStepP99Ms: floor(1),
    },
    stepDurationP50Ms: p(
      steps.map((s) => s.duration),
      50,
    ),
    stepDurationP99Ms: p(
      steps.map((s) => s.duration),
      99,
    ),
  };
}

/** How long the approvers waited for their answer (the approvals that were answered). */
function approvalFigures(releasedAt: Map<string, number>, answeredAt: Map<string, number>) {
  const waits = [...answeredAt].map(([id, at]) => at - releasedAt.get(id)!);
  return { approvalP50Ms: round(percentile(waits, 50)), approvalP99Ms: round(percentile(waits, 99)) };
}

function describeFailure([id, out]: [string, Outcome]): string {
  return 'final' in out
    ? `${id}: ended ${out.final.phase}${out.final.refusal ? ` (${out.final.refusal})` : ''}`
    : `${id}: ${out.failure}`;
}

/** The ids that are at their gate (from visibility), once all are or when the deadline passes. */
async function waitUntilParked(ceremonies: CeremonyClient, ids: Set<string>, deadline: number): Promise<Set<string>> {
  let parked = new Set<string>();
  let reported = -1;
  for (;;) {
    const rows = await ceremonies.list({ phase: 'awaiting-approval', limit: ids.size + 1000 });
    parked = new Set(rows.map((r) => r.ceremonyId).filter((id) => ids.has(id)));
    if (parked.size === ids.size || Date.now() > deadline) return parked;
    if (parked.size !== reported) log(`${parked.size}/${ids.size} parked`);
    reported = parked.size;
    await sleep(POLL_MS);
  }
}

/** What a ceremony's history shows it asked of Temporal after its approval was accepted. */
export function releasedShape(history: temporal.api.history.v1.IHistory): CeremonyShape & { deviceActivities: number } {
  const events = history.events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const shape = { steps: 0, besideAtRelease: 0, besideAtEnd: 0, deviceActivities: 0 };
  for (const e of events.slice(accepted + 1)) {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity && BESIDE_ACTIVITIES.has(activity)) {
      if (shape.steps === 0) shape.besideAtRelease += 1;
      else shape.besideAtEnd += 1;
    } else if (activity) {
      shape.steps += 1;
      shape.deviceActivities += 1;
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') shape.steps += 1;
  }
  return shape;
}
