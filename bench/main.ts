#!/usr/bin/env node
// `npm run bench [-- name...]`: each benchmark prints one JSON line of figures; all of them go to
// bench/results/latest.json with the machine they came from. No test asserts a timing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { approvalLatency } from './approval-latency';
import { fleet } from './fleet';
import { overhead } from './overhead';
import { replay } from './replay';
import { machine } from './support';

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  overhead,
  fleet,
  'approval-latency': approvalLatency,
  replay,
};

/** Each benchmark in a process of its own: what one leaves behind (heap, handles, a server's
 * clients) does not weigh on the next one's figures. */
function runAlone(name: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, [__filename, '--alone', name], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  }).toString();
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"bench"'));
  if (!line) throw new Error(`benchmark ${name} printed no figures`);
  return JSON.parse(line) as Record<string, unknown>;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--alone') {
    console.log(JSON.stringify(await BENCHES[process.argv[3]]()));
    process.exit(0);
  }
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !Object.hasOwn(BENCHES, w));
  if (unknown.length)
    throw new Error(`unknown benchmark ${unknown.join(', ')}; have ${Object.keys(BENCHES).join(', ')}`);
  const results: Record<string, unknown>[] = [];
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
    process.stderr.write(`[bench] ${name}…\n`);
    const figures = runAlone(name);
    console.log(JSON.stringify(figures));
    results.push(figures);
  }
  // a run of some benchmarks replaces their figures and keeps the others' (each with its date)
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  const file = join(dir, 'latest.json');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const previous: { bench: string }[] = existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as { results?: { bench: string }[] }).results ?? [])
    : [];
  const fresh = results.map((r) => ({ ...r, at }) as { bench: string; at: string });
  const merged = Object.keys(BENCHES).flatMap(
    (name) => fresh.find((r) => r.bench === name) ?? previous.find((r) => r.bench === name) ?? [],
  );
  writeFileSync(file, `${JSON.stringify({ at, machine: machine(), results: merged }, null, 2)}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
