// The replay child's logging (replay-child.ts): kept apart from replay.ts, which the parent loads,
// so that the parent (the CLI's `audit verify`) does not load the worker SDK.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

let loggerInstalled: boolean | undefined;

/**
 * Route the SDK's logs, the core's included (by default core prints its own to stdout, with ANSI
 * colours), to stderr, at WARN and above unless `verbose`. Installs the process's Runtime, so it
 * only takes effect if no Runtime exists yet (a worker in the same process keeps its own); returns
 * whether this call's logger is the one in use. Idempotent.
 */
export function installReplayLogger(options: { verbose?: boolean } = {}): boolean {
  if (loggerInstalled !== undefined) return loggerInstalled;
  const level: LogLevel = options.verbose ? 'INFO' : 'WARN';
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => process.stderr.write(formatLogEntry(entry))),
      telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    });
    loggerInstalled = true;
  } catch {
    // Runtime.install throws once a Runtime exists (a worker or an earlier install): keep it
    loggerInstalled = false;
  }
  return loggerInstalled;
}

/** Write out the log lines the SDK still buffers (it holds forwarded lines ~100 ms to sort them). */
export function flushReplayLogs(): void {
  if (loggerInstalled) Runtime.instance().flushLogs();
}

function formatLogEntry({ level, message, meta }: LogEntry): string {
  const { sdkComponent, taskQueue, ...rest } = (meta ?? {}) as Record<string, unknown>;
  void taskQueue;
  const extra = Object.keys(rest).length > 0 ? ` ${safeJson(rest)}` : '';
  return `[replay${sdkComponent ? ` ${String(sdkComponent)}` : ''}] ${level} ${message}${extra}\n`;
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  } catch {
    return '[unserialisable]';
  }
}
