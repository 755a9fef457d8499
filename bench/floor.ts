// Temporal's floor, measured on the bench's own server in the same run: a trivial workflow whose
// steps are trivial activities sleeping the device latency (bench/floor-workflows.ts), run by a
// worker with the same limits as the ceremony worker (WORKER_* from the configuration). What a
// ceremony costs above it is the orchestrator's own.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { loadConfig } from '../runtime/config';
import * as activities from './floor-activities';
import type { floorCeremony, floorSteps } from './floor-workflows';
import { inParallel, percentile, round } from './support';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
let bundle: Promise<{ code: string }> | undefined;

/** A floor worker on its own task queue, and a client. */
export async function startFloor(address: string) {
  bundle ??= bundleWorkflowCode({ workflowsPath: join(__dirname, 'floor-workflows.js'), logger: quiet });
  const config = loadConfig();
  const taskQueue = `floor-${process.pid}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundle,
    activities,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    stickyQueueScheduleToStartTimeout: `${config.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS}s`,
  });
  const running = worker.run();
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
    /** `n` ceremony-shaped floor workflows parked at their signal, then all released at once:
     * from the first release request to the last end, and each step's end from its release request. */
    async burst(n: number, steps: number, latencyMs: number) {
      const handles = new Array<WorkflowHandle<typeof floorCeremony>>(n);
      await inParallel(n, 50, async (i) => {
        handles[i] = await client.workflow.start<typeof floorCeremony>('floorCeremony', {
          taskQueue,
          workflowId: id(`burst-${n}`),
          args: [steps, latencyMs],
        });
      });
      const releaseStart = Date.now();
      let lastEnd = releaseStart;
      let failures = 0;
      const fromRequest: number[] = [];
      await Promise.all(
        handles.map(async (h) => {
          const requestedAt = Date.now();
          try {
            await h.signal('release');
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
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
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
