// fleet: N gated ceremonies (N from BENCH_FLEET_SIZES) over 64 simulated appliances, each a gate
// then 5 read-only device steps (one lunash command each, 20 ms device latency). All park at the
// gate first, then are released at a fixed rate by an approval (a signed Update, as the CLI
// sends it). Per N: step p50/p99 from the approval request to the step's end, first-step p99, the
// least those could be given the device latency, the worker's peak RSS (its own process), failures.
// Then the burst (BENCH_FLEET_BURST_SIZES): all approvals sent at once, beside Temporal's floor on
// the same server, just before and just after: as many ceremony-shaped trivial workflows (released
// by an Update, then as many trivial activities sleeping the device latency, and as many trivial
// ones beside them as a ceremony sends mail and ticket comments), all released at once.
// The appliances run in 2 processes of their own, state in memory: the bench measures the
// orchestrator, not the simulator.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { CeremonyClient } from '../client/ceremony-client';
import { loadConfig } from '../runtime/config';
import { spawnWorkerProcess } from '../worker/process';
import { startDeviceFleet } from './device-fleet';
import { BENCH_SECRETS_ENV, benchApplianceName, writeBenchInventory } from './fleet-support';
import { CEREMONY_SHAPE, COMMANDS_PER_STEP, releasedShape, runGatedFleet, STEPS_PER_CEREMONY } from './gated-fleet';
import { startFloor } from './floor';
import { benchKeys } from './harness';
import { benchServer, round } from './support';

const APPLIANCES = 64;
/** One per core of the 2-core bench machine. */
const DEVICE_PROCESSES = 2;
const DEVICE_LATENCY_MS = 20;
const RELEASE_PER_SECOND = loadConfig().BENCH_FLEET_RELEASE_PER_SECOND;
const sizes = (list: string) => (list ? list.split(',').map(Number) : []);
const SIZES = sizes(loadConfig().BENCH_FLEET_SIZES);
const BURST_SIZES = sizes(loadConfig().BENCH_FLEET_BURST_SIZES);

/** The worker process as production runs it, so its RSS is its own; the engine tests' entry
 * (`runWorkerProcess` with hand-written plans accepted: the bench's gated plans are not the
 * catalogue's), otherwise the same as `node dist/worker/main.js`. */
async function startWorker(env: Record<string, string>): Promise<{ peakRssMiB(): number; stop(): Promise<void> }> {
  const { child, ready, exited } = spawnWorkerProcess(
    join(__dirname, '..', 'test', 'support', 'engine-worker-main.js'),
    { ...process.env, ...env },
  );
  await ready;
  const status = (field: string) =>
    round(
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    );
  // the resident set every 5 s on stderr: where in a run the worker grows
  const sampler = setInterval(() => process.stderr.write(`[bench] fleet worker RSS ${status('VmRSS')} MiB\n`), 5000);
  return {
    // VmHWM: the kernel's high-water mark of the process's resident set
    peakRssMiB: () => status('VmHWM'),
    stop: async () => {
      clearInterval(sampler);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function fleet(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const dir = mkdtempSync(join(tmpdir(), 'bench-fleet-'));
  const hsms = Array.from({ length: APPLIANCES }, (_, i) => benchApplianceName(i + 1));
  const devices = await startDeviceFleet(join(dir, 'devices'), hsms, DEVICE_PROCESSES, DEVICE_LATENCY_MS);
  const inventoryPath = join(dir, 'inventory.yaml');
  writeBenchInventory(inventoryPath, devices.appliances);
  /** N ceremonies on a fresh worker process, released at `releasePerSecond` (Infinity: all at once). */
  const runOnce = async (n: number, releasePerSecond: number) => {
    const env = {
      ...BENCH_SECRETS_ENV,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: `bench-fleet-${n}-${Date.now()}`,
      CEREMONY_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-fleet-data-')),
      CEREMONY_INVENTORY: inventoryPath,
      CEREMONY_WORKFLOW_BUNDLE: server.bundlePath,
      LOG_LEVEL: 'info', // it logs WORKER_READY at info
      WORKER_METRICS_ADDRESS: 'off', // not measured here, and `npm start` may hold its port
    };
    const worker = await startWorker(env);
    const { ceremonies, connection } = await CeremonyClient.connect(loadConfig(env), {
      signerFor: (actor) => benchKeys.signer(actor),
    });
    try {
      const run = {
        ...(await runGatedFleet({
          ceremonies,
          hsms,
          n,
          releasePerSecond,
          deviceLatencyMs: DEVICE_LATENCY_MS,
          inspect: async (id) => {
            const shape = releasedShape(await ceremonies.client.workflow.getHandle(id).fetchHistory());
            const expected = { ...CEREMONY_SHAPE, deviceActivities: 1 };
            if (!isDeepStrictEqual(shape, expected))
              throw new Error(
                `the floor no longer runs what a ceremony runs: ${id} did ${JSON.stringify(shape)} once released, the floor ${JSON.stringify(expected)} (bench/gated-fleet.ts, CEREMONY_SHAPE)`,
              );
          },
        })),
        workerPeakRssMiB: worker.peakRssMiB(),
      };
      process.stderr.write(`[bench] fleet N=${n}: ${JSON.stringify(run)}\n`);
      return run;
    } finally {
      await connection.close();
      await worker.stop();
    }
  };
  try {
    const runs: Record<string, unknown>[] = [];
    for (const n of SIZES) runs.push(await runOnce(n, RELEASE_PER_SECOND));
    const burst: Record<string, unknown>[] = [];
    /** One floor burst of `n` on a worker process of its own. */
    const floorBurst = async (n: number, when: 'before' | 'after') => {
      const floor = await startFloor(server.address, { ownProcess: true });
      const floorRun = await floor.burst(n, CEREMONY_SHAPE, DEVICE_LATENCY_MS).finally(() => floor.stop());
      process.stderr.write(`[bench] fleet floor burst N=${n} (${when} the ceremonies'): ${JSON.stringify(floorRun)}\n`);
      return floorRun;
    };
    for (const n of BURST_SIZES) {
      // the floor just before and just after the ceremonies, its figures the mean of the two: one
      // floor burst varies from run to run on the same server, and the two bracket whatever the
      // ceremonies' burst leaves behind on it
      const before = await floorBurst(n, 'before');
      const run = await runOnce(n, Infinity);
      const after = await floorBurst(n, 'after');
      const floorMean = (figure: 'ceremoniesPerSecond' | 'stepP99FromRequestMs' | 'totalSeconds') =>
        round((before[figure] + after[figure]) / 2, figure === 'totalSeconds' ? 2 : 1);
      const ceremoniesPerSecond = round((n - run.failures) / run.releaseToDoneSeconds);
      const floorCeremoniesPerSecond = floorMean('ceremoniesPerSecond');
      burst.push({
        n,
        totalSeconds: run.releaseToDoneSeconds,
        ceremoniesPerSecond,
        floorCeremoniesPerSecond,
        throughputToFloor: round(ceremoniesPerSecond / floorCeremoniesPerSecond, 2),
        stepP99FromRequestMs: run.stepP99Ms,
        floorStepP99FromRequestMs: floorMean('stepP99FromRequestMs'),
        stepP50FromRequestMs: run.stepP50Ms,
        firstStepP99FromRequestMs: run.firstStepP99Ms,
        approvalP50Ms: run.approvalP50Ms,
        approvalP99Ms: run.approvalP99Ms,
        workerPeakRssMiB: run.workerPeakRssMiB,
        failures: run.failures,
        ...(run.failureExample ? { failureExample: run.failureExample } : {}),
        floorFailures: before.failures + after.failures,
        floorTotalSeconds: floorMean('totalSeconds'),
        floorRuns: [before, after],
        parkSeconds: run.parkSeconds,
        deviceBound: run.deviceBound,
      });
    }
    const commandsPerSecond = RELEASE_PER_SECOND * STEPS_PER_CEREMONY * COMMANDS_PER_STEP;
    const config = loadConfig();
    return {
      bench: 'fleet',
      appliances: APPLIANCES,
      deviceProcesses: DEVICE_PROCESSES,
      deviceLatencyMs: DEVICE_LATENCY_MS,
      stepsPerCeremony: STEPS_PER_CEREMONY,
      commandsPerStep: COMMANDS_PER_STEP,
      releasePerSecond: RELEASE_PER_SECOND,
      // the worker's bounds (the configuration's WORKER_* values), the same for the floor's worker
      workerLimits: {
        heapMiB: config.WORKER_HEAP_MIB,
        youngGenerationMiB: config.WORKER_YOUNG_GENERATION_MIB,
        mallocArenas: config.WORKER_MALLOC_ARENAS,
        maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
        maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
        stickyQueueScheduleToStartTimeoutSeconds: config.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS,
      },
      // what the paced releases ask of the devices, against what they could serve if each
      // appliance ran one command at a time (the simulator overlaps sessions' latency: more)
      deviceLoad: {
        offeredCommandsPerSecond: commandsPerSecond,
        capacityCommandsPerSecond: (APPLIANCES * 1000) / DEVICE_LATENCY_MS,
      },
      runs,
      burst,
    };
  } finally {
    await devices.close();
    await server.stop();
  }
}
