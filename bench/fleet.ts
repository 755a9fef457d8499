// fleet: N concurrent backup ceremonies (N = 10, 100, 500) against 16 simulated appliances (20 ms
// per command, as over a VPN) and one backup device, on one worker process. Prints ceremonies per
// minute, step latency p50/p99 (device and check steps), the worker's peak RSS, and each figure
// as a ratio to the N = 10 run of the same bench.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyClient } from '../client/ceremony-client';
import { loadInventory } from '../ceremonies/inventory';
import { loadConfig } from '../runtime/config';
import { spawnWorkerProcess } from '../worker/process';
import type { CeremonyStatus } from '../workflows/messages';
import { initialiseForBench, simulatedFleet } from './fleet-support';
import { benchServer, percentile, round } from './support';

const APPLIANCES = 16;
const SIZES = loadConfig().BENCH_FLEET_SIZES.split(',').map(Number);
const DEVICE_LATENCY_MS = 20;

/** The worker as production runs it (`node dist/worker/main.js`), so its RSS is its own. */
async function startWorker(env: Record<string, string>): Promise<{ peakRssMiB(): number; stop(): Promise<void> }> {
  const { child, ready, exited } = spawnWorkerProcess(join(__dirname, '..', 'worker', 'main.js'), { ...process.env, ...env });
  await ready;
  return {
    // VmHWM: the kernel's high-water mark of the process's resident set
    peakRssMiB: () => round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function stepLatencies(final: CeremonyStatus): number[] {
  return final.steps.filter((s) => (s.type === 'device' || s.type === 'check') && s.startedAt && s.endedAt).map((s) => Date.parse(s.endedAt!) - Date.parse(s.startedAt!));
}

export async function fleet(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const dir = mkdtempSync(join(tmpdir(), 'bench-fleet-'));
  const devices = await simulatedFleet(dir, APPLIANCES);
  for (const a of devices.appliances) {
    initialiseForBench(a, ['payments']);
    a.faults.write({ latencyMs: DEVICE_LATENCY_MS });
  }
  devices.backup.faults.write({ latencyMs: DEVICE_LATENCY_MS });
  const inventory = loadInventory(devices.inventoryPath);
  const runs: Record<string, number>[] = [];
  try {
    for (const n of SIZES) {
      const env = {
        ...devices.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: `bench-fleet-${n}-${Date.now()}`,
        CEREMONY_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-fleet-data-')),
        CEREMONY_INVENTORY: devices.inventoryPath,
        CEREMONY_WORKFLOW_BUNDLE: server.bundlePath,
        LOG_LEVEL: 'info', // it logs WORKER_READY at info
      };
      const worker = await startWorker(env);
      const { ceremonies, connection } = await CeremonyClient.connect(loadConfig(env));
      try {
        const t0 = Date.now();
        const ids = await Promise.all(
          Array.from({ length: n }, async (_, i) => {
            const hsm = devices.appliances[i % APPLIANCES].name;
            const started = await ceremonies.start({ kind: 'backup', hsm, ticket: `bench:FLEET-${n}-${t0.toString(36)}-${i}`, requester: 'scheduler@example.com', params: { partitions: 'payments', standingApproval: `nightly-${hsm}` } }, inventory);
            return started.ceremonyId;
          }),
        );
        let done = 0;
        // a ceremony that needs an operator never ends by itself: watch for those and stop
        let watchdog: NodeJS.Timeout | undefined;
        const stuck = new Promise<never>((_, reject) => {
          watchdog = setInterval(() => {
            void ceremonies.list({ phase: 'needs-intervention', limit: 1000 }).then((rows) => {
              const found = rows.find((r) => ids.includes(r.ceremonyId));
              if (found) reject(new Error(`ceremony ${found.ceremonyId} needs an operator (see \`ceremony status ${found.ceremonyId}\`)`));
            }, () => {});
          }, 5000);
        });
        stuck.catch(() => {});
        const finals = await Promise.all(
          ids.map(async (id) => {
            const final = await Promise.race([ceremonies.handle(id).result(), stuck]);
            done += 1;
            if (done % Math.max(1, Math.floor(n / 5)) === 0) process.stderr.write(`[bench] fleet N=${n}: ${done}/${n} done\n`);
            return final;
          }),
        ).finally(() => clearInterval(watchdog));
        const seconds = (Date.now() - t0) / 1000;
        const failed = finals.filter((f) => f.phase !== 'completed');
        if (failed.length) throw new Error(`${failed.length} of ${n} ceremonies did not complete, e.g. ${failed[0].ceremonyId}: ${failed[0].phase}`);
        const latencies = finals.flatMap(stepLatencies);
        runs.push({
          n,
          seconds: round(seconds),
          ceremoniesPerMinute: round((n / seconds) * 60),
          steps: latencies.length,
          stepP50Ms: round(percentile(latencies, 50)),
          stepP99Ms: round(percentile(latencies, 99)),
          workerPeakRssMiB: worker.peakRssMiB(),
        });
      } finally {
        await connection.close();
        await worker.stop();
      }
    }
    const base = runs[0];
    const growth = runs.map((r) => ({
      n: r.n,
      throughputRatio: round(r.ceremoniesPerMinute / base.ceremoniesPerMinute, 2),
      stepP99Ratio: round(r.stepP99Ms / base.stepP99Ms, 2),
      rssRatio: round(r.workerPeakRssMiB / base.workerPeakRssMiB, 2),
    }));
    return { bench: 'fleet', appliances: APPLIANCES, deviceLatencyMs: DEVICE_LATENCY_MS, runs, growthVsFirst: growth };
  } finally {
    await devices.close();
    await server.stop();
  }
}
