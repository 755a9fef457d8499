import { loadInventory } from '../../ceremonies/inventory';
import type { CeremonyRequestInput } from '../../ceremonies/request';
import { startHarness, type Harness } from './harness';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony, manifestPath } from '../../audit/tooling/export';
import { verifyHistories } from '../../audit/tooling/verify';
import { exportedText } from './history';
import { SECRETS, startSimulatedHsm, type SimulatedHsm } from './simulated-hsm';

export const REQUESTER = 'dave@example.com';
export const OPERATOR = 'operator@example.com';

export interface CeremonyEnv {
  sim: SimulatedHsm;
  h: Harness;
  /** Start a ceremony as `ceremony start` does: request + inventory -> plan -> workflow. */
  start(kind: CeremonyRequestInput['kind'], params?: Record<string, string>, ticket?: string): Promise<string>;
  /** The exported history (payloads decoded) must hold none of the secrets used in the run; it is
   * replayed (`ceremony audit verify`) with the file's others when the env closes. */
  expectNoSecretsInHistory(id: string, extra?: string[]): Promise<void>;
  /** Stops the worker and the devices, after verifying the exported histories. */
  close(): Promise<void>;
}

let seq = 0;

/** A simulated appliance + backup device and a worker whose inventory points at them. */
export async function startCeremonyEnv(
  name: string,
  options: Parameters<typeof startSimulatedHsm>[1] & { worker?: boolean; config?: Record<string, string> } = {},
  extraEnv: Record<string, string> = {},
): Promise<CeremonyEnv> {
  const sim = await startSimulatedHsm('hsm-sim-1', options);
  // the worker resolves env: references from its environment, and @azure/identity reads it
  Object.assign(process.env, SECRETS, extraEnv);
  const h = await startHarness(name, {
    worker: options.worker,
    inventoryPath: sim.inventoryPath,
    catalogueOnly: true,
    config: { CEREMONY_PACKAGES_DIR: `${sim.dir}/packages`, ...extraEnv, ...options.config },
  });
  const exported: string[] = [];
  return {
    sim,
    h,
    async start(kind, params = {}, ticket) {
      seq += 1;
      const started = await h.ceremonies.start(
        {
          kind,
          hsm: 'hsm-sim-1',
          ticket: ticket ?? `jira:${name.toUpperCase()}-${Date.now().toString(36)}${seq}`,
          requester: REQUESTER,
          params,
        },
        loadInventory(sim.inventoryPath),
      );
      return started.ceremonyId;
    },
    async expectNoSecretsInHistory(id, extra = []) {
      // what an auditor receives once the ceremony has ended (its last mails sent, the history
      // closed): `ceremony audit export`, every payload decoded
      await h.ceremonies.handle(id).result();
      const file = join(mkdtempSync(join(tmpdir(), 'export-')), `${id}.json`);
      await exportCeremony(h.ceremonies, id, file, { server: 'test' });
      const history = `${exportedText(readFileSync(file, 'utf8'))}\n${readFileSync(manifestPath(file), 'utf8')}`;
      expect(history.length).toBeGreaterThan(1000);
      for (const secret of [...Object.values(SECRETS), ...extra]) expect(history).not.toContain(secret);
      exported.push(file);
    },
    async close() {
      try {
        // one replay process for the file's histories (each replay starts a process that loads the
        // workflow bundle): a failed verdict fails the file, naming the ceremony
        if (exported.length > 0) {
          const verdicts = await verifyHistories(exported, {
            workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE,
          });
          expect(
            verdicts.map((v) => ({ file: v.file, ok: v.ok, problems: v.problems, violations: v.violations })),
          ).toEqual(verdicts.map((v) => ({ file: v.file, ok: true, problems: [], violations: [] })));
        }
      } finally {
        await h.stop();
        await sim.close();
      }
    },
  };
}
