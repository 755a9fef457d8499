// The workflow bundle `audit verify` replays with, built once per version of the code and kept
// (bundling takes seconds; a verify of one history should not). The key is a hash of every
// compiled module of the project and of the package lock, so any change to the code or to a
// dependency gives a new bundle; the cache is the user's own (~/.cache, mode 0700), never a
// shared temp dir another user could plant a bundle in.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/** The compiled project (dist/) and its package lock. */
const DIST = join(__dirname, '..');
const LOCK = join(DIST, '..', 'package-lock.json');
/** Compiled code that never goes into a bundle. */
const NOT_BUNDLED = new Set(['test', 'bench']);

export function defaultBundleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hsm-ceremonies', 'replay-bundles');
}

function jsFiles(dir: string, top: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !(top && NOT_BUNDLED.has(e.name)))
    .flatMap((e) =>
      e.isDirectory() ? jsFiles(join(dir, e.name), false) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
    );
}

/** A hash of the code a bundle is made from: every module under `distDir` and the lock file. */
export function bundleKey(distDir = DIST, lockFile = LOCK): string {
  const hash = createHash('sha256');
  for (const file of jsFiles(distDir, true).sort())
    hash
      .update(`${relative(distDir, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  hash.update(existsSync(lockFile) ? readFileSync(lockFile) : 'no lock');
  return hash.digest('hex').slice(0, 32);
}

/** The bundler's lines go to stderr with `verbose`, else nowhere (a failed build still throws). */
export function bundlerLogger(verbose: boolean): NonNullable<BundleOptions['logger']> {
  const line = (level: string) => (message: string) => {
    if (verbose) process.stderr.write(`[replay bundler] ${level.toUpperCase()} ${message}\n`);
  };
  return {
    log: line('info'),
    trace: line('trace'),
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
}

/** The path of the production bundle of the current code: from the cache, else built and kept. */
export async function cachedReplayBundle(
  options: { cacheDir?: string; verbose?: boolean } = {},
): Promise<{ path: string; built: boolean }> {
  const dir = options.cacheDir ?? defaultBundleCacheDir();
  const path = join(dir, `workflows-${bundleKey()}.js`);
  if (existsSync(path)) return { path, built: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // required only to build: the worker SDK and webpack take a quarter of a second to load, which a
  // verify from the cache, and every other command of the CLI, need not pay. (`import()` stays a
  // native ESM import in our CommonJS build, see scripts/compile.js, so it is a typed require.)
  const { bundleWorkflows } = require('../../worker/bundle') as typeof import('../../worker/bundle');
  const code = await bundleWorkflows({ production: true, logger: bundlerLogger(options.verbose ?? false) });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, code, { mode: 0o600 });
  renameSync(tmp, path); // whole or not at all, if two verifies build at once
  return { path, built: true };
}
