// fleet: N gated ceremonies (N from BENCH_FLEET_SIZES) over 64 simulated appliances, each a gate
// then 5 read-only device steps (one lunash command each, 20 ms device latency). All park at the
// gate first, then are released at a fixed rate by an approval (a signed Update, as the CLI
// sends it). Per N: step p50/p99 from the release to the step's end, first-step p99, the least
// those could be given the device latency, the worker's peak RSS (its own process), failures.
// The appliances run in 2 processes of their own, state in memory: the bench measures the
// orchestrator, not the simulator.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyClient } from '../client/ceremony-client';
import { loadConfig } from '../runtime/config';
import { spawnWorkerProcess } from '../worker/process';
import { startDeviceFleet } from './device-fleet';
import { BENCH_SECRETS_ENV, benchApplianceName, writeBenchInventory } from './fleet-support';
import { COMMANDS_PER_STEP, runGatedFleet, STEPS_PER_CEREMONY } from './gated-fleet';
import { benchKeys } from './harness';
import { benchServer, round } from './support';

const APPLIANCES = 64;
/** One per core of the 2-core bench machine. */
const DEVICE_PROCESSES = 2;
const DEVICE_LATENCY_MS = 20;
const RELEASE_PER_SECOND = loadConfig().BENCH_FLEET_RELEASE_PER_SECOND;
const SIZES = loadConfig().BENCH_FLEET_SIZES.split(',').map(Number);

/** The worker process as production runs it, so its RSS is its own; the engine tests' entry
 * (`runWorkerProcess` with hand-written plans accepted: the bench's gated plans are not the
 * catalogue's), otherwise the same as `node dist/worker/main.js`. */
async function startWorker(env: Record<string, string>): Promise<{ peakRssMiB(): number; stop(): Promise<void> }> {
  const { child, ready, exited } = spawnWorkerProcess(
    join(__dirname, '..', 'test', 'support', 'engine-worker-main.js'),
    { ...process.env, ...env },
  );
  await ready;
  return {
    // VmHWM: the kernel's high-water mark of the process's resident set
    peakRssMiB: () =>
      round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024),
    stop: async () => {
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
  const runs: Record<string, unknown>[] = [];
  try {
    for (const n of SIZES) {
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
            releasePerSecond: RELEASE_PER_SECOND,
            deviceLatencyMs: DEVICE_LATENCY_MS,
          })),
          workerPeakRssMiB: worker.peakRssMiB(),
        };
        process.stderr.write(`[bench] fleet N=${n}: ${JSON.stringify(run)}\n`);
        runs.push(run);
      } finally {
        await connection.close();
        await worker.stop();
      }
    }
    const commandsPerSecond = RELEASE_PER_SECOND * STEPS_PER_CEREMONY * COMMANDS_PER_STEP;
    return {
      bench: 'fleet',
      appliances: APPLIANCES,
      deviceProcesses: DEVICE_PROCESSES,
      deviceLatencyMs: DEVICE_LATENCY_MS,
      stepsPerCeremony: STEPS_PER_CEREMONY,
      commandsPerStep: COMMANDS_PER_STEP,
      releasePerSecond: RELEASE_PER_SECOND,
      // what the released ceremonies ask of the devices, against what they could serve if each
      // appliance ran one command at a time (the simulator overlaps sessions' latency: more)
      deviceLoad: {
        offeredCommandsPerSecond: commandsPerSecond,
        capacityCommandsPerSecond: (APPLIANCES * 1000) / DEVICE_LATENCY_MS,
      },
      runs,
    };
  } finally {
    await devices.close();
    await server.stop();
  }
}
