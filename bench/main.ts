#!/usr/bin/env node
// `npm run bench [-- name...]`: each benchmark prints one JSON line of figures; all of them go to
// bench/results/latest.json with the machine they came from. No test asserts a timing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { approvalLatency } from './approval-latency';
import { overhead } from './overhead';
import { replay } from './replay';
import { machine } from './support';

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = { overhead, 'approval-latency': approvalLatency, replay };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !(w in BENCHES));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; have ${Object.keys(BENCHES).join(', ')}`);
  const results: Record<string, unknown>[] = [];
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
    process.stderr.write(`[bench] ${name}…\n`);
    const figures = await BENCHES[name]();
    console.log(JSON.stringify(figures));
    results.push(figures);
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), results }, null, 2)}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
