import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { LunaShell } from '../activities/device/luna-shell';
import { SessionPool } from '../activities/device/session-pool';
import { azureSettings } from '../activities/azure/dedicated-hsm';
import { keyVaultSettings } from '../activities/azure/key-vault';
import { ticketAdapters } from '../activities/tickets/adapters';
import { allNotifiers, outboxNotifier, smtpNotifier, type Notifier } from '../activities/notify';
import { loadLinkKeys } from '../ceremonies/approval-links';
import { dataConverterFor } from '../runtime/codec';
import { connectionOptions, dataPath, type AppConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { bundleWorkflows } from './bundle';
import { ceremonyLogFields } from './activity-log-fields';
import { startTracing } from '../runtime/tracing';
import { DROPPED_WORKFLOW_SPANS, workerTracing } from './tracing';

let runtimeInstalled = false;

/** Route the SDK's logs (worker, workflow and activity loggers) to pino; with a metrics address,
 * the SDK serves its own metrics (workers, workflow and activity tasks, polls) there for Prometheus. */
function installRuntime(level: AppConfig['LOG_LEVEL'], format: AppConfig['LOG_FORMAT'], metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const log = createLogger('temporal', level, format);
  const sdkLevel = level.toUpperCase() as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(sdkLevel, ({ level: l, message, meta }) => {
        const method =
          l === 'WARN' ? 'warn' : l === 'ERROR' ? 'error' : l === 'DEBUG' ? 'debug' : l === 'TRACE' ? 'trace' : 'info';
        log[method](meta ?? {}, message);
      }),
      ...(metricsAddress
        ? {
            telemetryOptions: {
              metrics: {
                prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true },
              },
            },
          }
        : {}),
    });
  } catch (err) {
    // the process already has a runtime (e.g. a bench that started a dev server first): keep it
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

export interface WorkerOptions {
  /** A prebuilt workflow bundle (tests build one once); otherwise the workflows are bundled now. */
  workflowBundlePath?: string;
  /** `host:port` for the SDK's Prometheus endpoint (the worker process: `WORKER_METRICS_ADDRESS`);
   * unset = none (a process installs one runtime: workers in a test process share it). */
  metricsAddress?: string;
  /** Engine tests only, which run hand-written plans: accept a valid plan the catalogue does not
   * build (the policy still applies). `worker/main.ts` never sets it. */
  acceptPlansNotFromCatalogue?: boolean;
}

export async function createCeremonyWorker(config: AppConfig, options: WorkerOptions = {}) {
  installRuntime(config.LOG_LEVEL, config.LOG_FORMAT, options.metricsAddress);
  const tracing = await startTracing(config, 'worker');
  const traced = tracing && (await workerTracing(tracing));
  const connection = await NativeConnection.connect(connectionOptions(config));
  const sessions =
    config.WORKER_SSH_IDLE_SECONDS > 0
      ? new SessionPool<LunaShell>({ idleMs: config.WORKER_SSH_IDLE_SECONDS * 1000 })
      : undefined;
  const worker = await Worker.create({
    connection,
    dataConverter: dataConverterFor(config.CEREMONY_PAYLOAD_KEYS),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    stickyQueueScheduleToStartTimeout: `${config.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS}s`,
    workflowBundle: options.workflowBundlePath
      ? { codePath: options.workflowBundlePath }
      : { code: await bundleWorkflows({ production: true }) },
    interceptors: { activity: [ceremonyLogFields, ...(traced ? traced.activity : [])] },
    sinks: traced ? traced.sinks : DROPPED_WORKFLOW_SPANS,
    activities: createActivities({
      ledgerPath: dataPath(config, 'ledger.jsonl'),
      notifier: notifierFor(config),
      ticketAdapters: ticketAdapters(config),
      inventoryPath: config.CEREMONY_INVENTORY,
      packagesDir: config.CEREMONY_PACKAGES_DIR,
      azure: azureSettings(config),
      keyVault: keyVaultSettings(config),
      sessions,
      localReads: config.WORKER_LOCAL_READS === 'true',
      acceptPlansNotFromCatalogue: options.acceptPlansNotFromCatalogue,
    }),
  });
  /** After `worker.run()` has returned: closes the device sessions it kept. */
  const closeSessions = () => sessions?.closeAll();
  return { worker, connection, closeSessions };
}

/** Always the outbox (a log without links); SMTP too when SMTP_HOST is set. */
function notifierFor(config: AppConfig): Notifier {
  const outbox = outboxNotifier(dataPath(config, 'outbox.jsonl'));
  if (!config.SMTP_HOST) return outbox;
  const smtp = smtpNotifier(
    {
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      secure: config.SMTP_SECURE === 'true',
      user: config.SMTP_USER,
      password: config.SMTP_PASSWORD,
      from: config.MAIL_FROM,
    },
    { keys: loadLinkKeys(config), publicUrl: config.CEREMONY_PUBLIC_URL },
  );
  return allNotifiers([outbox, smtp]);
}
