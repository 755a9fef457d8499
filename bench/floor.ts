// Temporal's floor, measured on the bench's own server in the same run: a trivial workflow whose
// steps are trivial activities sleeping the device latency (bench/floor-workflows.ts), run by a
// worker with the same limits as the ceremony worker (WORKER_* from the configuration), started
// the way the bench starts the ceremony worker. What a ceremony costs above it is the
// orchestrator's own.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../runtime/config';
import { spawnWorkerProcess } from '../worker/process';
import * as activities from './floor-activities';
import type { CeremonyShape, floorCeremony, floorSteps } from './floor-workflows';
import { inParallel, parkTimeoutMs, percentile, round, sleep } from './support';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
let bundle: Promise<{ code: string }> | undefined;

/** A worker for the floor's workflows with the ceremony worker's limits (WORKER_* from `config`). */
export async function createFloorWorker(config: AppConfig) {
  bundle ??= bundleWorkflowCode({ workflowsPath: join(__dirname, 'floor-workflows.js'), logger: quiet });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await bundle,
    activities,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    stickyQueueScheduleToStartTimeout: `${config.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS}s`,
  });
  return { worker, connection };
}

/** A floor worker on its own task queue, and a client. `ownProcess`: the worker runs in a process
 * of its own started as the ceremony worker's (worker/process.ts: the same node flags), as the
 * fleet bench runs the ceremony worker; otherwise in this process, as the overhead bench does. */
export async function startFloor(address: string, o: { ownProcess?: boolean } = {}) {
  const taskQueue = `floor-${process.pid}-${Date.now()}`;
  const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
  let stopWorker: () => Promise<void>;
  if (o.ownProcess) {
    const { child, ready, exited } = spawnWorkerProcess(join(__dirname, 'floor-worker-main.js'), env);
    await ready;
    stopWorker = async () => {
      child.kill('SIGTERM');
      await exited;
    };
  } else {
    const { worker, connection } = await createFloorWorker(loadConfig(env));
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  let seq = 0;
  const id = (what: string) => `floor-${what}-${taskQueue}-${++seq}`;
  return {
    /** `steps` steps one after another: wall time, and per step the interval between two steps' starts. */
    async sequence(steps: number, latencyMs: number, asLocal: boolean) {
      const t = performance.now();
      const started = await client.workflow.execute<typeof floorSteps>('floorSteps', {
        taskQueue,
        workflowId: id('seq'),
        args: [steps, latencyMs, asLocal],
      });
      const wallMs = performance.now() - t;
      const intervals = started.slice(1).map((at, i) => at - started[i]);
      return { wallMs, intervals };
    },
    /** `n` ceremony-shaped floor workflows parked at their release, then all released at once:
     * from the first release request to the last end, and each step's end from its release request. */
    async burst(n: number, shape: CeremonyShape, latencyMs: number) {
      const handles = new Array<WorkflowHandle<typeof floorCeremony>>(n);
      await inParallel(n, 50, async (i) => {
        handles[i] = await client.workflow.start<typeof floorCeremony>('floorCeremony', {
          taskQueue,
          workflowId: id(`burst-${n}`),
          args: [shape, latencyMs],
        });
      });
      await untilParked(handles);
      const releaseStart = Date.now();
      let lastEnd = releaseStart;
      let failures = 0;
      const fromRequest: number[] = [];
      await Promise.all(
        handles.map(async (h) => {
          const requestedAt = Date.now();
          try {
            await h.executeUpdate('release');
            const ended = await h.result();
            fromRequest.push(...ended.map((at) => at - requestedAt));
          } catch {
            failures += 1;
          }
          lastEnd = Math.max(lastEnd, Date.now());
        }),
      );
      const totalSeconds = (lastEnd - releaseStart) / 1000;
      return {
        n,
        totalSeconds: round(totalSeconds, 2),
        ceremoniesPerSecond: round((n - failures) / totalSeconds),
        stepP99FromRequestMs: round(percentile(fromRequest, 99)),
        failures,
      };
    },
    async stop() {
      await stopWorker();
      await connection.close();
    },
  };
}

/** A floor workflow has run its first workflow task, as a ceremony at its gate has: started, its
 * first task scheduled, started and completed, its release's deadline timer started. */
const PARKED_HISTORY_LENGTH = 5;

/** Until every one is parked at its release (from Temporal's description of each, which no worker
 * answers), so that the release, as the ceremonies' approvals, finds them waiting: a release that
 * arrived with the workflow's start would be handled in its first task, one task and a timer fewer
 * than a ceremony released at its gate. */
async function untilParked(handles: WorkflowHandle[]): Promise<void> {
  const deadline = Date.now() + parkTimeoutMs(handles.length);
  let waiting = handles;
  while (waiting.length > 0) {
    const still: WorkflowHandle[] = [];
    await inParallel(waiting.length, 50, async (i) => {
      const { historyLength } = await waiting[i].describe();
      if (historyLength < PARKED_HISTORY_LENGTH) still.push(waiting[i]);
    });
    waiting = still;
    if (waiting.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`floor burst: ${waiting.length}/${handles.length} not parked at their release in time`);
    await sleep(500);
  }
}

/** The floor's per-step figures from a sequence: p50 of the interval between steps minus the device latency. */
export function floorFigures(run: { wallMs: number; intervals: number[] }, steps: number, latencyMs: number) {
  return {
    wallMs: round(run.wallMs),
    ratio: round(run.wallMs / (steps * latencyMs), 2),
    perStepMsP50: round(percentile(run.intervals, 50) - latencyMs),
    perStepMsP99: round(percentile(run.intervals, 99) - latencyMs),
  };
}
