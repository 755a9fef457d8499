import { mkdtempSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { Keyring } from '../test/support/keyring';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyClient } from '../client/ceremony-client';
import { planDigest } from '../ceremonies/digest';
import { PlanSchema, type PlanInput } from '../ceremonies/plan';
import { loadConfig, type AppConfig } from '../runtime/config';
import { createCeremonyWorker } from '../worker/worker';

let seq = 0;

/** The bench's people: their keys sign the decisions, their public keys are in every bench inventory. */
export const BENCH_PEOPLE = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'operator@example.com'];
export const benchKeys = new Keyring();
/** As in production: irreversible steps and key material need two approvers; reversible ledger
 * steps (the bench's stand-in device) none. */
export const BENCH_POLICY = {
  'read-only': 'none',
  reversible: 'none',
  irreversible: { quorum: 2, groups: ['bench'] },
  'key-material': { quorum: 2, groups: ['bench'] },
};

/** An inventory for ledger-only benches: a stand-in HSM `bench` and the group `bench`. */
function ledgerInventory(dir: string): string {
  const path = join(dir, 'inventory.yaml');
  writeFileSync(
    path,
    stringify({
      hsms: {
        bench: {
          host: '127.0.0.1',
          port: 9,
          hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
          credentials: { tenantadmin: 'env:BENCH_UNUSED' },
        },
      },
      approverGroups: { bench: { members: ['alice@example.com', 'bob@example.com'] } },
      policy: BENCH_POLICY,
      operators: ['operator@example.com'],
      ...benchKeys.inventory(BENCH_PEOPLE),
    }),
  );
  return path;
}

/** A worker and a client on the bench server, its own task queue and data dir; `settings`: the
 * worker's configuration beyond the defaults. */
export async function startHarnessFor(
  server: { address: string; bundlePath: string },
  inventoryPath?: string,
  env: Record<string, string> = {},
  settings: Record<string, string> = {},
) {
  Object.assign(process.env, env);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-data-'));
  const config: AppConfig = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `bench-${process.pid}-${Date.now()}`,
    CEREMONY_DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    CEREMONY_INVENTORY: inventoryPath ?? ledgerInventory(dataDir),
    ...settings,
  });
  const { worker, connection, closeSessions } = await createCeremonyWorker(config, {
    workflowBundlePath: server.bundlePath,
    acceptPlansNotFromCatalogue: true,
  }); // the bench's plans are hand-written
  const running = worker.run();
  const { ceremonies, connection: clientConnection } = await CeremonyClient.connect(config, {
    signerFor: (actor) => benchKeys.signer(actor),
  });
  return {
    config,
    ceremonies,
    async startPlan(hsm: string, steps: PlanInput['steps'], kind: PlanInput['kind'] = 'rehearsal'): Promise<string> {
      seq += 1;
      const plan = PlanSchema.parse({
        version: 1,
        kind,
        title: 'bench',
        requester: 'bench@example.com',
        ticket: `bench:B${Date.now().toString(36)}-${seq}`,
        hsm,
        operators: ['operator@example.com'],
        steps,
      });
      return (await ceremonies.startPlan(plan, planDigest(plan))).ceremonyId;
    },
    async stop() {
      worker.shutdown();
      await running;
      closeSessions();
      await connection.close();
      await clientConnection.close();
    },
  };
}
