import { loadConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { WORKER_READY } from './process';
import { boundWorkflowThreadHeap, workerNodeFlags } from './node-options';
import { createCeremonyWorker, type WorkerOptions } from './worker';
import { keyVaultSettings } from '../activities/azure/key-vault';
import { inventoryOf } from '../activities';
import { serveMetrics } from '../runtime/metrics-server';
import { NtlsExpiryMetrics } from './ntls-expiry-metrics';
import { stopTracing } from '../runtime/tracing';

/** The worker process: config from the environment, run until SIGINT/SIGTERM. `worker/main.ts`
 * passes no options; the engine tests' process (test/support/engine-worker-main.ts) accepts their
 * hand-written plans. */
export async function runWorkerProcess(
  options: Pick<WorkerOptions, 'acceptPlansNotFromCatalogue'> = {},
): Promise<void> {
  const config = loadConfig();
  const log = createLogger('worker', config.LOG_LEVEL, config.LOG_FORMAT);
  const heap = boundWorkflowThreadHeap(config);
  if (!heap.mainBounded)
    log.warn(
      { heapLimitMiB: heap.mainHeapLimitMiB, start: `node ${workerNodeFlags(config).join(' ')} dist/worker/main.js` },
      "the worker was started without its node flags: its main thread's heap is bounded only by the machine, and WORKER_STACK_TRACES has no effect (docs/production.md)",
    );
  const metricsAddress = config.WORKER_METRICS_ADDRESS === 'off' ? undefined : config.WORKER_METRICS_ADDRESS;
  const { worker, connection, closeSessions } = await createCeremonyWorker(config, {
    workflowBundlePath: config.CEREMONY_WORKFLOW_BUNDLE,
    metricsAddress,
    ...options,
  });
  const ntlsMetrics =
    config.WORKER_NTLS_METRICS_ADDRESS === 'off'
      ? undefined
      : await serveMetrics(
          new NtlsExpiryMetrics(
            () => inventoryOf(config.CEREMONY_INVENTORY).get(),
            { env: process.env, keyVault: keyVaultSettings(config) },
            config.WORKER_NTLS_METRICS_REFRESH_SECONDS * 1000,
          ),
          config.WORKER_NTLS_METRICS_ADDRESS,
        );
  log.info(
    {
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      metrics: metricsAddress ? `http://${metricsAddress}/metrics` : 'off',
      heapLimitMiB: heap.mainHeapLimitMiB,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    },
    WORKER_READY,
  );
  try {
    await worker.run(); // returns after SIGINT/SIGTERM once in-flight tasks are done
  } finally {
    closeSessions();
    ntlsMetrics?.server.close();
    await connection.close();
    await stopTracing(); // the last spans sent
  }
  log.info('worker stopped');
}
