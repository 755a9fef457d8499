import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { bundleWorkflows } from '../worker/bundle';
import { CEREMONY_SEARCH_ATTRIBUTES } from '../contract/search-attributes';
import { loadConfig } from '../runtime/config';
import { devServerDynamicConfigArgs } from '../runtime/dev-server';
import type { CeremonyStatus } from '../workflows/messages';

const root = join(__dirname, '..', '..');

/** A real dev server (through the CLI bootstrap) and a workflow bundle, for one bench run;
 * in memory, or with `dbFilename` on the file-backed SQLite `npm start` uses (`--db-filename`). */
export async function benchServer(
  dbFilename?: string,
): Promise<{ address: string; bundlePath: string; stop(): Promise<void> }> {
  quietRuntime();
  const cli =
    loadConfig().TEMPORAL_CLI ||
    execFileSync('bash', [join(root, 'scripts/ensure-temporal.sh')], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim()
      .split('\n')
      .pop()!;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      searchAttributes: CEREMONY_SEARCH_ATTRIBUTES,
      ...(dbFilename ? { dbFilename } : {}),
      log: { format: 'pretty', level: 'error' },
      extraArgs: devServerDynamicConfigArgs(),
    },
  });
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  // as a production worker bundles them: no inline source map, the verifier preloaded
  const code = await bundleWorkflows({ production: true, logger: quiet });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'workflows.js');
  writeFileSync(bundlePath, code);
  return { address: env.address, bundlePath, stop: () => env.teardown() };
}

let runtimeInstalled = false;
/** The process's Temporal runtime logs warnings and errors only: the dev server's client would
 * otherwise install one at INFO first, and the in-process worker's logger could not replace it. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** When a step's first command was sent and its last answered (its transcript: the worker's real
 * clock, not the workflow's). */
export function commandSpan(step: CeremonyStatus['steps'][number]): { sent: number; answered: number } {
  const transcript = step.evidence?.transcript ?? [];
  const last = transcript.at(-1);
  const span = { sent: Date.parse(transcript[0]?.at ?? ''), answered: Date.parse(last?.at ?? '') + (last?.ms ?? NaN) };
  if (Number.isNaN(span.sent) || Number.isNaN(span.answered))
    throw new Error(`step ${step.id} recorded no command times`);
  return span;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function machine() {
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Run `task(0..count-1)`, at most `limit` at once; the first failure rejects (the rest still settle). */
export async function inParallel(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** How long a burst of `n` workflows, ceremonies or the floor's, may take to park at their gate
 * before the burst is released: a minute, and a fifth of a second more for each. */
export const parkTimeoutMs = (n: number) => 60_000 + 200 * n;
