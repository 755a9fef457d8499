import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyClient } from '../client/ceremony-client';
import { planDigest } from '../ceremonies/digest';
import { PlanSchema, type PlanInput } from '../ceremonies/plan';
import { loadConfig, type AppConfig } from '../worker/config';
import { createCeremonyWorker } from '../worker/worker';

let seq = 0;

/** A worker and a client on the bench server, its own task queue and data dir. */
export async function startHarnessFor(server: { address: string; bundlePath: string }, inventoryPath?: string, env: Record<string, string> = {}) {
  Object.assign(process.env, env);
  const config: AppConfig = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `bench-${process.pid}-${Date.now()}`,
    CEREMONY_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-data-')),
    LOG_LEVEL: 'error',
    ...(inventoryPath ? { CEREMONY_INVENTORY: inventoryPath } : {}),
  });
  const { worker, connection } = await createCeremonyWorker(config, { workflowBundlePath: server.bundlePath });
  const running = worker.run();
  const { ceremonies, connection: clientConnection } = await CeremonyClient.connect(config);
  return {
    config,
    ceremonies,
    async startPlan(hsm: string, steps: PlanInput['steps']): Promise<string> {
      seq += 1;
      const plan = PlanSchema.parse({ version: 1, kind: 'rehearsal', title: 'bench', requester: 'bench@example.com', ticket: `bench:B${Date.now().toString(36)}-${seq}`, hsm, operators: ['operator@example.com'], steps });
      return (await ceremonies.startPlan(plan, planDigest(plan))).ceremonyId;
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    },
  };
}
