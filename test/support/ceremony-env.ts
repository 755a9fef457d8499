import { loadInventory } from '../../ceremonies/inventory';
import type { CeremonyRequestInput } from '../../ceremonies/request';
import { startHarness, type Harness } from './harness';
import { exportedHistoryText } from './history';
import { SECRETS, startSimulatedHsm, type SimulatedHsm } from './simulated-hsm';

export const REQUESTER = 'dave@example.com';
export const OPERATOR = 'operator@example.com';

export interface CeremonyEnv {
  sim: SimulatedHsm;
  h: Harness;
  /** Start a ceremony as `ceremony start` does: request + inventory -> plan -> workflow. */
  start(kind: CeremonyRequestInput['kind'], params?: Record<string, string>, ticket?: string): Promise<string>;
  /** The exported history (payloads decoded) must hold none of the secrets used in the run. */
  expectNoSecretsInHistory(id: string, extra?: string[]): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** A simulated appliance + backup device and a worker whose inventory points at them. */
export async function startCeremonyEnv(name: string, options: Parameters<typeof startSimulatedHsm>[1] = {}, extraEnv: Record<string, string> = {}): Promise<CeremonyEnv> {
  const sim = await startSimulatedHsm('hsm-sim-1', options);
  Object.assign(process.env, SECRETS, extraEnv); // the worker resolves env: references from its environment
  const h = await startHarness(name, { inventoryPath: sim.inventoryPath, config: { CEREMONY_PACKAGES_DIR: `${sim.dir}/packages` } });
  return {
    sim,
    h,
    async start(kind, params = {}, ticket) {
      seq += 1;
      const started = await h.ceremonies.start(
        { kind, hsm: 'hsm-sim-1', ticket: ticket ?? `jira:${name.toUpperCase()}-${Date.now().toString(36)}${seq}`, requester: REQUESTER, params },
        loadInventory(sim.inventoryPath),
      );
      return started.ceremonyId;
    },
    async expectNoSecretsInHistory(id, extra = []) {
      const history = await exportedHistoryText(h.ceremonies, id);
      expect(history.length).toBeGreaterThan(1000);
      for (const secret of [...Object.values(SECRETS), ...extra]) expect(history).not.toContain(secret);
    },
    async close() {
      await h.stop();
      await sim.close();
    },
  };
}
