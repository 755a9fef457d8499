// overhead: what the orchestrator adds to a device step. One simulated appliance, in a process
// of its own, answering each command after LATENCY_MS (a command over the VPN to Azure). (a) plain: one logged-in ssh2
// session sends the commands a step sends, step after step; (b) a warm worker (its bundle loaded,
// its session pool holding a logged-in session after a warm-up ceremony) runs a ceremony of STEPS
// device steps with no gate. Prints both wall times, the ratio b/a, and per step the
// orchestration time: the interval between two step ends in the ceremony minus the plain step's
// median, p50 and p99. Device-bound limit: a step cannot take less than the plain step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LunaShell } from '../activities/device/luna-shell';
import type { PlanInput } from '../ceremonies/plan';
import { startHarnessFor } from './harness';
import { benchServer, percentile, round } from './support';
import { startDeviceFleet } from './device-fleet';
import { BENCH_SECRETS_ENV, benchApplianceName, writeBenchInventory } from './fleet-support';

const STEPS = 120;
const WARMUP_STEPS = 10;
const LATENCY_MS = 50;
const OP = 'hsm.show' as const;

export async function overhead(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const dir = mkdtempSync(join(tmpdir(), 'bench-overhead-'));
  const devices = await startDeviceFleet(join(dir, 'devices'), [benchApplianceName(1)], 1, LATENCY_MS);
  try {
    const [appliance] = devices.appliances;
    const inventoryPath = join(dir, 'inventory.yaml');
    writeBenchInventory(inventoryPath, devices.appliances);
    const h = await startHarnessFor(server, inventoryPath, BENCH_SECRETS_ENV);
    try {
      const steps = (n: number): PlanInput['steps'] => Array.from({ length: n }, (_, i) => ({ id: `show-${i}`, type: 'device' as const, title: `hsm show ${i}`, hsm: appliance.name, op: OP }));
      const run = async (n: number) => {
        const t = performance.now();
        const final = await h.ceremonies.handle(await h.startPlan(appliance.name, steps(n))).result();
        if (final.phase !== 'completed') throw new Error(`bench ceremony ended ${final.phase}`);
        return { final, wallMs: performance.now() - t };
      };

      // warm: the bundle loaded, a workflow cached, a session in the pool; and the commands a step sends
      const warm = await run(WARMUP_STEPS);
      const commands = (warm.final.steps[0].evidence?.transcript ?? []).map((t) => t.command);
      if (commands.length === 0) throw new Error(`${OP} recorded no commands`);

      const target = { host: '127.0.0.1', port: appliance.port, hostKeyFingerprint: appliance.fingerprint };
      const shell = await LunaShell.open(target, 'tenantadmin', { password: BENCH_SECRETS_ENV.BENCH_TENANTADMIN });
      const plain: number[] = [];
      const startA = performance.now();
      try {
        for (let i = 0; i < STEPS; i++) {
          const t = performance.now();
          for (const command of commands) await shell.run(command);
          plain.push(performance.now() - t);
        }
      } finally {
        shell.close();
      }
      const wallA = performance.now() - startA;

      const { final, wallMs: wallB } = await run(STEPS);
      const plainMedian = percentile(plain, 50);
      const ends = final.steps.map((s) => Date.parse(s.endedAt!));
      // a step's share of the ceremony: from the previous step's end (the first: the ceremony's start) to its own
      const perStep = ends.slice(1).map((end, i) => end - ends[i] - plainMedian);
      return {
        bench: 'overhead',
        steps: STEPS,
        commandsPerStep: commands,
        deviceLatencyMs: LATENCY_MS,
        plainStepMsP50: round(plainMedian),
        plainWallMs: round(wallA),
        ceremonyWallMs: round(wallB),
        ratio: round(wallB / wallA, 2),
        perStepOrchestrationMsP50: round(percentile(perStep, 50)),
        perStepOrchestrationMsP99: round(percentile(perStep, 99)),
        deviceBoundLimit: `a step takes at least the plain step (${round(plainMedian)} ms: ${commands.length} command(s) × ${LATENCY_MS} ms device latency + SSH)`,
      };
    } finally {
      await h.stop();
    }
  } finally {
    await devices.close();
    await server.stop();
  }
}
