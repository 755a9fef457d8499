import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { AppConfig } from '../runtime/config';

type MemoryConfig = Pick<AppConfig, 'WORKER_HEAP_MIB' | 'WORKER_YOUNG_GENERATION_MIB' | 'WORKER_MALLOC_ARENAS'>;

/** The node flags of the worker process: the bounds of its JavaScript heaps (V8 otherwise sizes
 * them from the machine's memory and grows them long before it collects, docs/production.md), and
 * worker/preload.ts, which each workflow thread inherits (WORKER_STACK_TRACES). */
export function workerNodeFlags(config: MemoryConfig): string[] {
  return [...heapFlags(config), `--require=${preloadPath()}`];
}

/** The compiled preload: beside this file when running from dist/, else dist/ of the project. */
function preloadPath(): string {
  const beside = join(__dirname, 'preload.js');
  return existsSync(beside) ? beside : join(__dirname, '..', 'dist', 'worker', 'preload.js');
}

function heapFlags(config: MemoryConfig): string[] {
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
 * the command line. Returns whether the process has all of `workerNodeFlags` (the preload only
 * reaches the workflow threads from the command line). */
export function boundWorkflowThreadHeap(config: MemoryConfig): { mainHeapLimitMiB: number; mainBounded: boolean } {
  for (const flag of heapFlags(config)) setFlagsFromString(flag);
  return {
    mainHeapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    mainBounded: workerNodeFlags(config).every((flag) => process.execArgv.includes(flag)),
  };
}
