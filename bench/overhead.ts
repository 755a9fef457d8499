// overhead: what the orchestrator adds to a device step. One simulated appliance, in a process
// of its own, answering each command after LATENCY_MS (a command over the VPN to Azure). (a) plain:
// one logged-in ssh2 session sends the commands a step sends, step after step; (b) a warm worker
// (its bundle loaded, its session pool holding a logged-in session after a warm-up ceremony) runs
// a ceremony of STEPS read-only device steps with no gate: as local activities (the default), then
// with WORKER_LOCAL_READS=false as activities (the path of every step that changes something).
// (c) Temporal's floor on the same server: a trivial workflow of STEPS trivial activities (then
// local activities) sleeping LATENCY_MS. All of it on the in-memory dev server, then again on the
// file-backed SQLite one `npm start` runs (`fileDb`). Prints the wall times, the ratio b/a, and per
// step the orchestration time: the interval between two steps' commands as the worker sent them
// (their transcripts' `at`, real time; the workflow's own clock lags within a run of local
// activities) minus the plain step's median, p50 and p99, and its ratio to the floor's (the
// interval between two trivial activities' starts minus the latency). Device-bound limit: a step
// cannot take less than the plain step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LunaShell } from '../activities/device/luna-shell';
import type { PlanInput } from '../ceremonies/plan';
import { startFloor, floorFigures } from './floor';
import { startHarnessFor } from './harness';
import { benchServer, commandSpan, percentile, round } from './support';
import { startDeviceFleet, type DeviceFleet } from './device-fleet';
import { BENCH_SECRETS_ENV, benchApplianceName, writeBenchInventory } from './fleet-support';

const STEPS = 120;
const WARMUP_STEPS = 10;
const LATENCY_MS = 50;
const OP = 'hsm.show' as const;

type Server = Awaited<ReturnType<typeof benchServer>>;

/** A warm worker's ceremony of STEPS device steps: its wall time and the worker's send time of each step's first command. */
async function ceremonyRun(server: Server, devices: DeviceFleet, inventoryPath: string, localReads: boolean) {
  const [appliance] = devices.appliances;
  const h = await startHarnessFor(server, inventoryPath, BENCH_SECRETS_ENV, { WORKER_LOCAL_READS: String(localReads) });
  try {
    const steps = (n: number): PlanInput['steps'] =>
      Array.from({ length: n }, (_, i) => ({
        id: `show-${i}`,
        type: 'device' as const,
        title: `hsm show ${i}`,
        hsm: appliance.name,
        op: OP,
      }));
    const run = async (n: number) => {
      const t = performance.now();
      const startedAt = Date.now();
      const final = await h.ceremonies.handle(await h.startPlan(appliance.name, steps(n))).result();
      if (final.phase !== 'completed') throw new Error(`bench ceremony ended ${final.phase}`);
      return { final, wallMs: performance.now() - t, startedAt, endedAt: Date.now() };
    };
    const warm = await run(WARMUP_STEPS);
    const commands = (warm.final.steps[0].evidence?.transcript ?? []).map((t) => t.command);
    if (commands.length === 0) throw new Error(`${OP} recorded no commands`);
    const { final, wallMs, startedAt, endedAt } = await run(STEPS);
    const spans = final.steps.map(commandSpan);
    const sent = spans.map((s) => s.sent);
    // the ceremony's own cost, outside its steps: start to the first command, last answer to the result
    const fixed = {
      startToFirstCommandMs: sent[0] - startedAt,
      lastAnswerToResultMs: endedAt - spans[spans.length - 1].answered,
    };
    return { commands, wallMs, sent, fixed };
  } finally {
    await h.stop();
  }
}

/** One logged-in session sending the same commands, step after step: each step's duration. */
async function plainRun(devices: DeviceFleet, commands: string[]) {
  const [appliance] = devices.appliances;
  const target = { host: '127.0.0.1', port: appliance.port, hostKeyFingerprint: appliance.fingerprint };
  const shell = await LunaShell.open(target, 'tenantadmin', { password: BENCH_SECRETS_ENV.BENCH_TENANTADMIN });
  const steps: number[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < STEPS; i++) {
      const t = performance.now();
      for (const command of commands) await shell.run(command);
      steps.push(performance.now() - t);
    }
  } finally {
    shell.close();
  }
  return { steps, wallMs: performance.now() - start };
}

/** On one server: the ceremony as local reads and on the activity path, the plain baseline, and
 * Temporal's floor (the same number of trivial activities / local activities, same latency). */
async function onServer(server: Server, devices: DeviceFleet, inventoryPath: string) {
  const local = await ceremonyRun(server, devices, inventoryPath, true);
  const plain = await plainRun(devices, local.commands);
  const activities = await ceremonyRun(server, devices, inventoryPath, false);
  const floor = await startFloor(server.address);
  const floorActivities = await floor.sequence(STEPS, LATENCY_MS, false);
  const floorLocal = await floor.sequence(STEPS, LATENCY_MS, true);
  await floor.stop();
  const plainMedian = percentile(plain.steps, 50);
  const figures = (run: typeof local, floorRun: typeof floorLocal) => {
    const perStep = run.sent.slice(1).map((at, i) => at - run.sent[i] - plainMedian);
    const mean = perStep.reduce((a, b) => a + b, 0) / perStep.length;
    const floorFigs = floorFigures(floorRun, STEPS, LATENCY_MS);
    const perStepMsP50 = round(percentile(perStep, 50));
    return {
      ratio: round(run.wallMs / plain.wallMs, 2),
      perStepMsP50,
      floorRatio: round(perStepMsP50 / floorFigs.perStepMsP50, 2),
      perStepMsP99: round(percentile(perStep, 99)),
      perStepMsMean: round(mean),
      ceremonyWallMs: round(run.wallMs),
      startToFirstCommandMs: round(run.fixed.startToFirstCommandMs),
      lastAnswerToResultMs: round(run.fixed.lastAnswerToResultMs),
      floor: floorFigs,
    };
  };
  return {
    commands: local.commands,
    plainStepMsP50: round(plainMedian),
    plainWallMs: round(plain.wallMs),
    activityPath: figures(activities, floorActivities),
    localReads: figures(local, floorLocal),
  };
}

export async function overhead(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const devices = await startDeviceFleet(join(dir, 'devices'), [benchApplianceName(1)], 1, LATENCY_MS);
  try {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeBenchInventory(inventoryPath, devices.appliances);
    const inMemory = await benchServer();
    const memory = await onServer(inMemory, devices, inventoryPath).finally(() => inMemory.stop());
    // the file-backed SQLite `npm start` runs (scripts/stack.ts: start-dev --db-filename)
    const fileServer = await benchServer(join(dir, 'temporal.db'));
    const file = await onServer(fileServer, devices, inventoryPath).finally(() => fileServer.stop());
    return {
      bench: 'overhead',
      steps: STEPS,
      commandsPerStep: memory.commands,
      deviceLatencyMs: LATENCY_MS,
      plainStepMsP50: memory.plainStepMsP50,
      plainWallMs: memory.plainWallMs,
      activityPath: {
        note: 'WORKER_LOCAL_READS=false: every step is an activity, the path of every step that changes something',
        ...memory.activityPath,
      },
      localReads: {
        note: 'the default: short read-only steps as local activities',
        ...memory.localReads,
      },
      fileDb: {
        server: 'temporal server start-dev --db-filename (file-backed SQLite, as npm start)',
        plainStepMsP50: file.plainStepMsP50,
        plainWallMs: file.plainWallMs,
        activityPath: file.activityPath,
        localReads: file.localReads,
      },
      deviceBoundLimit: `a step takes at least the plain step (${memory.plainStepMsP50} ms: ${memory.commands.length} command(s) × ${LATENCY_MS} ms device latency + SSH)`,
    };
  } finally {
    await devices.close();
  }
}
