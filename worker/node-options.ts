import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { AppConfig } from '../runtime/config';

type MemoryConfig = Pick<AppConfig, 'WORKER_HEAP_MIB' | 'WORKER_YOUNG_GENERATION_MIB' | 'WORKER_MALLOC_ARENAS'>;

/** The node flags that bound the worker process's JavaScript heaps: V8 otherwise sizes them from
 * the machine's memory and grows them long before it collects (docs/production.md). */
export function workerNodeFlags(config: MemoryConfig): string[] {
  return [
    `--max-old-space-size=${config.WORKER_HEAP_MIB}`,
    `--max-semi-space-size=${config.WORKER_YOUNG_GENERATION_MIB}`,
  ];
}

/** What a launcher adds to the worker process's environment: glibc reads its arena count when the
 * process starts. */
export function workerProcessEnv(config: MemoryConfig): Record<string, string> {
  return { MALLOC_ARENA_MAX: String(config.WORKER_MALLOC_ARENAS) };
}

/** In the worker process, before its workflow thread starts: V8 reads these flags when it creates
 * an isolate, so the workflow thread (the cached ceremonies) is bounded even when the process was
 * started without them (`node dist/worker/main.js`); the main thread's heap only by the flags on
 * the command line. Returns whether the main thread has them. */
export function boundWorkflowThreadHeap(config: MemoryConfig): { mainHeapLimitMiB: number; mainBounded: boolean } {
  const flags = workerNodeFlags(config);
  for (const flag of flags) setFlagsFromString(flag);
  return {
    mainHeapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    mainBounded: flags.every((flag) => process.execArgv.includes(flag)),
  };
}
