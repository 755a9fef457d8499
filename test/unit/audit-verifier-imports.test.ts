import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The audit's verifier (audit/verifier/) decides a verdict from a history alone: what it imports,
// directly or through our other modules, is what an auditor must trust. The Temporal client
// (export) and the worker with its bundler (replay) are the tooling's (audit/tooling/), never the
// verifier's: a verdict does not depend on a server or on running the workflow code.

const ROOT = resolve(__dirname, '../..');
const VERIFIER = join(ROOT, 'audit', 'verifier');
const FORBIDDEN = [
  /^@temporalio\/client(\/|$)/,
  /^@temporalio\/worker(\/|$)/,
  /^@temporalio\/testing(\/|$)/,
  /^webpack(\/|$)/,
  /^audit\/tooling\//,
  /^worker\/bundle$/,
];

/** Every module specifier a file imports or re-exports (static, dynamic, require), types included. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]);
  return found;
}

/** Our module a relative specifier names (root-relative, no extension), or the package name. */
function target(file: string, spec: string): { ours?: string; pkg?: string } {
  if (!spec.startsWith('.')) return { pkg: spec };
  const base = resolve(dirname(file), spec).replace(/\.(?:ts|js)$/, '');
  const path = [`${base}.ts`, join(base, 'index.ts')].find(existsSync);
  return {
    ours: relative(ROOT, path ?? `${base}.ts`)
      .split(sep)
      .join('/'),
  };
}

/** Each forbidden import reachable from `entries`, with the chain of our modules that leads to it. */
function forbiddenReached(entries: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const queue = entries.map((e) => ({ file: e, chain: [e] }));
  while (queue.length) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      const { ours, pkg } = target(join(ROOT, file), spec);
      const name = pkg ?? ours!.replace(/\.ts$/, '');
      if (FORBIDDEN.some((re) => re.test(name))) out.push(`${chain.join(' -> ')} -> ${name}`);
      else if (ours && !seen.has(ours)) queue.push({ file: ours, chain: [...chain, ours] });
    }
  }
  return out;
}

const verifierFiles = (): string[] =>
  readdirSync(VERIFIER)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `audit/verifier/${f}`);

test('the check sees a forbidden import, directly or through another module', () => {
  expect(
    specifiers("import type { X } from '../tooling/verify';\nimport { Worker } from '@temporalio/worker';"),
  ).toEqual(['../tooling/verify', '@temporalio/worker']);
  expect(forbiddenReached(['audit/tooling/replay-bundle.ts'])).toEqual(
    expect.arrayContaining(['audit/tooling/replay-bundle.ts -> worker/bundle']),
  );
  expect(forbiddenReached(['audit/tooling/export.ts']).some((c) => c.endsWith('-> @temporalio/client'))).toBe(true);
});

test('the verifier imports neither the Temporal client, the worker, nor a bundler, nor the audit tooling', () => {
  const files = verifierFiles();
  expect(files).toEqual(
    expect.arrayContaining(['audit/verifier/history.ts', 'audit/verifier/invariants.ts', 'audit/verifier/report.ts']),
  );
  expect(forbiddenReached(files)).toEqual([]);
});
