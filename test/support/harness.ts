import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { inventoryKeys, signerFor } from './people';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CeremonyClient } from '../../client/ceremony-client';
import { planDigest } from '../../ceremonies/digest';
import { PlanSchema, type Plan, type PlanInput } from '../../ceremonies/plan';
import { readLedger } from '../../activities/ops/ledger';
import type { NotificationInput } from '../../activities/types';
import type { CeremonyOutcome, CeremonyStatus } from '../../workflows/messages';
import { loadConfig, type AppConfig } from '../../runtime/config';
import { createCeremonyWorker } from '../../worker/worker';

export const REQUESTER = 'requester@example.com';
export const APPROVERS = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
export const OPERATOR = 'operator@example.com';

/** Config pointing at the run's dev server, with a task queue and data dir of this test's own. */
export function testConfig(name: string, extra: Record<string, string> = {}): AppConfig {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address)
    throw new Error(
      'TEMPORAL_TEST_ADDRESS is not set: run the tests through jest (global setup starts the dev server)',
    );
  return loadConfig({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: `test-${name}-${randomUUID().slice(0, 8)}`,
    CEREMONY_DATA_DIR: mkdtempSync(join(tmpdir(), `ceremony-${name}-`)),
    LOG_LEVEL: 'warn',
    // the metrics endpoints have fixed ports: test files run side by side (the metrics test picks free ones)
    WORKER_METRICS_ADDRESS: 'off',
    WEB_METRICS_ADDRESS: 'off',
    ...extra,
  });
}

export interface Harness {
  config: AppConfig;
  ceremonies: CeremonyClient;
  ledgerPath: string;
  ledger(): ReturnType<typeof readLedger>;
  outbox(): (NotificationInput & { sentAt: string })[];
  /** Notifications go out beside the ceremony: wait for one to be written. */
  waitForOutbox(
    predicate: (m: NotificationInput) => boolean,
    timeoutMs?: number,
  ): Promise<NotificationInput & { sentAt: string }>;
  start(plan: Plan): Promise<string>;
  stop(): Promise<void>;
}

/** The policy engine tests run under: read-only and reversible steps need no gate, irreversible
 * ones (and key material) two security officers. */
export const ENGINE_POLICY = {
  'read-only': 'none',
  reversible: 'none',
  irreversible: { quorum: 2, groups: ['security-officers'] },
  'key-material': { quorum: 2, groups: ['security-officers'] },
};

/** The worker's inventory for engine tests: a stand-in HSM (ledger steps never reach it), the
 * approvers, the operator, the policy and everyone's public key. */
export function engineInventory(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'inventory.yaml');
  writeFileSync(
    path,
    stringify({
      hsms: {
        'hsm-test': {
          host: '127.0.0.1',
          port: 9,
          hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
          credentials: { tenantadmin: 'env:HSM_TEST_UNUSED' },
        },
      },
      approverGroups: { 'security-officers': { members: APPROVERS } },
      policy: ENGINE_POLICY,
      operators: [OPERATOR],
      ...inventoryKeys(),
      ...extra,
    }),
  );
  return path;
}

/** The sample inventory (`config/inventory.yaml`) with the test people's public keys, as a file. */
export function sampleInventory(dir: string): string {
  const sample = parseYaml(readFileSync(join(__dirname, '..', '..', 'config', 'inventory.yaml'), 'utf8'));
  const path = join(dir, 'sample-inventory.yaml');
  writeFileSync(path, stringify({ ...sample, ...inventoryKeys() }));
  return path;
}

/** A client whose decisions are signed with each test person's key, and unless `worker: false`,
 * an in-process worker on the test's own task queue. */
export async function startHarness(
  name: string,
  options: { worker?: boolean; inventoryPath?: string; config?: Record<string, string>; catalogueOnly?: boolean } = {},
): Promise<Harness> {
  let config = testConfig(name, {
    ...(options.inventoryPath ? { CEREMONY_INVENTORY: options.inventoryPath } : {}),
    ...options.config,
  });
  if (!options.inventoryPath && !options.config?.CEREMONY_INVENTORY)
    config = { ...config, CEREMONY_INVENTORY: engineInventory(config.CEREMONY_DATA_DIR) };
  const { ceremonies, connection } = await CeremonyClient.connect(config, { signerFor });
  let stopWorker = async () => {};
  if (options.worker !== false) {
    const {
      worker,
      connection: workerConnection,
      closeSessions,
    } = await createCeremonyWorker(config, {
      workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE,
      // engine tests run hand-written plans (`testPlan`); ceremony tests run the catalogue's only
      acceptPlansNotFromCatalogue: !options.catalogueOnly,
    });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      closeSessions();
      await workerConnection.close();
    };
  }
  const ledgerPath = join(config.CEREMONY_DATA_DIR, 'ledger.jsonl');
  const outboxPath = join(config.CEREMONY_DATA_DIR, 'outbox.jsonl');
  const outbox = (): (NotificationInput & { sentAt: string })[] => {
    try {
      return readFileSync(outboxPath, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  };
  return {
    config,
    ceremonies,
    ledgerPath,
    ledger: () => readLedger(ledgerPath),
    outbox,
    async waitForOutbox(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = outbox().find(predicate);
        if (found) return found;
        if (Date.now() > until) throw new Error('no matching notification in the outbox');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async start(plan) {
      const started = await ceremonies.startPlan(plan, planDigest(plan));
      return started.ceremonyId;
    },
    async stop() {
      await stopWorker();
      await connection.close();
    },
  };
}

let ticketSeq = 0;

/** A plan for engine tests: one approval gate (2 of 3) then the given steps. */
export function testPlan(steps: PlanInput['steps'], overrides: Partial<PlanInput> = {}): Plan {
  ticketSeq += 1;
  return PlanSchema.parse({
    version: 1,
    kind: 'rehearsal',
    title: 'Engine test',
    requester: REQUESTER,
    ticket: `test:T${Date.now().toString(36)}-${process.pid}-${ticketSeq}`,
    hsm: 'hsm-test',
    operators: [OPERATOR],
    steps,
    ...overrides,
  });
}

export function gate(id = 'approve', extra: Record<string, unknown> = {}): PlanInput['steps'][number] {
  return {
    id,
    type: 'approval',
    title: `Gate ${id}`,
    group: 'security-officers',
    approvers: APPROVERS,
    quorum: 2,
    deadline: '10m',
    ...extra,
  };
}

export function record(id: string, extra: Record<string, unknown> = {}): PlanInput['steps'][number] {
  return {
    id,
    type: 'device',
    title: `Record ${id}`,
    hsm: 'hsm-test',
    op: 'ledger.record',
    args: { key: id },
    ...extra,
  };
}

/** Poll the status query until `done` holds. */
export async function waitForStatus(
  ceremonies: CeremonyClient,
  id: string,
  done: (s: CeremonyStatus) => boolean,
  timeoutMs = 30_000,
): Promise<CeremonyStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: CeremonyStatus | undefined;
  for (;;) {
    try {
      last = await ceremonies.status(id);
      if (done(last)) return last;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting on ${id}; last status: ${JSON.stringify(last && { phase: last.phase, step: last.currentStep, steps: last.steps.map((s) => `${s.id}:${s.status}`) })}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function result(ceremonies: CeremonyClient, id: string): Promise<CeremonyOutcome> {
  return ceremonies.handle(id).result();
}
