// overhead: what the orchestrator adds to a device step. One simulated appliance, in a process
// of its own, answering each command after LATENCY_MS (a command over the VPN to Azure). (a) plain:
// one logged-in ssh2 session sends the commands a step sends, step after step; (b) a warm worker
// (its bundle loaded, its session pool holding a logged-in session after a warm-up ceremony) runs
// a ceremony of STEPS read-only device steps with no gate: as local activities (the default), then
// with WORKER_LOCAL_READS=false as activities (the path of every step that changes something).
// Prints both wall times, the ratio b/a, and per step the orchestration time: the interval
// between two steps' commands as the worker sent them (their transcripts' `at`, real time; the
// workflow's own clock lags within a run of local activities) minus the plain step's median, p50
// and p99. Device-bound limit: a step cannot take less than the plain step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LunaShell } from '../activities/device/luna-shell';
import type { PlanInput } from '../ceremonies/plan';
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

export async function overhead(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const dir = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const devices = await startDeviceFleet(join(dir, 'devices'), [benchApplianceName(1)], 1, LATENCY_MS);
  try {
    const inventoryPath = join(dir, 'inventory.yaml');
    writeBenchInventory(inventoryPath, devices.appliances);
    const local = await ceremonyRun(server, devices, inventoryPath, true);
    const plain = await plainRun(devices, local.commands);
    const activities = await ceremonyRun(server, devices, inventoryPath, false);
    const plainMedian = percentile(plain.steps, 50);
    const figures = (run: typeof local) => {
      const perStep = run.sent.slice(1).map((at, i) => at - run.sent[i] - plainMedian);
      const mean = perStep.reduce((a, b) => a + b, 0) / perStep.length;
      return {
        ceremonyWallMs: round(run.wallMs),
        ratio: round(run.wallMs / plain.wallMs, 2),
        perStepOrchestrationMsP50: round(percentile(perStep, 50)),
        perStepOrchestrationMsP99: round(percentile(perStep, 99)),
        perStepOrchestrationMsMean: round(mean),
        startToFirstCommandMs: round(run.fixed.startToFirstCommandMs),
        lastAnswerToResultMs: round(run.fixed.lastAnswerToResultMs),
      };
    };
    return {
      bench: 'overhead',
      steps: STEPS,
      commandsPerStep: local.commands,
      deviceLatencyMs: LATENCY_MS,
      plainStepMsP50: round(plainMedian),
      plainWallMs: round(plain.wallMs),
      ...figures(local),
      asActivities: {
        note: 'the same steps with WORKER_LOCAL_READS=false: the path of every step that changes something',
        ...figures(activities),
      },
      deviceBoundLimit: `a step takes at least the plain step (${round(plainMedian)} ms: ${local.commands.length} command(s) × ${LATENCY_MS} ms device latency + SSH)`,
    };
  } finally {
    await devices.close();
    await server.stop();
  }
}
