// overhead: the same 20 lunash commands (hsm show, 50 ms device latency) run (a) by a plain ssh2
// script, one connection per command as an activity opens, back to back; (b) as a ceremony of 20
// device steps with no gate. Prints both wall times, the ratio b/a and the per-step orchestration
// overhead (step duration in the ceremony minus the median plain command), p50 and p99.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LunaShell } from '../activities/device/luna-shell';
import { startHarnessFor } from './harness';
import { benchServer, percentile, round } from './support';
import { initialiseForBench, simulatedFleet } from './fleet-support';

const STEPS = 20;
const LATENCY_MS = 50;

export async function overhead(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const fleet = await simulatedFleet(mkdtempSync(join(tmpdir(), 'bench-overhead-')), 1);
  try {
    const [appliance] = fleet.appliances;
    initialiseForBench(appliance);
    appliance.faults.write({ latencyMs: LATENCY_MS });
    const target = { host: '127.0.0.1', port: appliance.port, hostKeyFingerprint: appliance.fingerprint };

    const plain: number[] = [];
    const startA = performance.now();
    for (let i = 0; i < STEPS; i++) {
      const t = performance.now();
      const shell = await LunaShell.open(target, 'tenantadmin', { password: fleet.password });
      await shell.run('hsm show');
      shell.close();
      plain.push(performance.now() - t);
    }
    const wallA = performance.now() - startA;

    const h = await startHarnessFor(server, fleet.inventoryPath, fleet.env);
    try {
      const steps = Array.from({ length: STEPS }, (_, i) => ({ id: `show-${i}`, type: 'device' as const, title: `hsm show ${i}`, hsm: appliance.name, op: 'hsm.show' as const }));
      const startB = performance.now();
      const id = await h.startPlan(appliance.name, steps);
      const final = await h.ceremonies.handle(id).result();
      const wallB = performance.now() - startB;
      if (final.phase !== 'completed') throw new Error(`bench ceremony ended ${final.phase}`);
      const median = percentile(plain, 50);
      const perStep = final.steps.map((s) => Date.parse(s.endedAt!) - Date.parse(s.startedAt!) - median);
      return {
        bench: 'overhead',
        steps: STEPS,
        deviceLatencyMs: LATENCY_MS,
        plainWallMs: round(wallA),
        ceremonyWallMs: round(wallB),
        ratio: round(wallB / wallA, 2),
        perStepOverheadMsP50: round(percentile(perStep, 50)),
        perStepOverheadMsP99: round(percentile(perStep, 99)),
      };
    } finally {
      await h.stop();
    }
  } finally {
    await fleet.close();
    await server.stop();
  }
}
