import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// The simulator is a second opinion on what a Luna appliance prints: it must not share the
// client's code (activities/, client/), or a layout wrong on one side would be wrong on both and
// every test would pass. From ceremonies/ it may use only what sets the simulation up (the
// inventory it starts a fleet from, own-property lookups, how an invalid inventory is described):
// nothing that encodes what a device prints or which firmware does what.

const ROOT = resolve(__dirname, '../..');
const SIMULATOR = join(ROOT, 'simulator');
const FORBIDDEN = ['activities', 'client'];
const CEREMONIES_ALLOWED = ['ceremonies/inventory', 'ceremonies/own', 'ceremonies/validation'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports (static, dynamic, require). */
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

/** What is wrong with importing `spec` from `file`, or undefined. */
function problem(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // a package or node: module
  const target = relative(ROOT, resolve(dirname(file), spec))
    .split(sep)
    .join('/');
  const top = target.split('/')[0];
  if (FORBIDDEN.includes(top)) return `imports ${top}/ (${spec})`;
  if (top === 'ceremonies' && !CEREMONIES_ALLOWED.includes(target.replace(/\.(?:ts|js)$/, '')))
    return `imports ${target} (${spec}), which is not set-up code`;
  return undefined;
}

test('the guard sees an import into activities/ or client/ (and one that stays inside simulator/ is fine)', () => {
  const file = join(SIMULATOR, 'lunash', 'commands.ts');
  expect(
    specifiers(
      "import { renderTable } from '../../activities/device/lunash-layouts';\nimport type { X } from '../state';",
    ),
  ).toEqual(['../../activities/device/lunash-layouts', '../state']);
  expect(problem(file, '../../activities/device/lunash-layouts')).toMatch(/activities\//);
  expect(problem(join(SIMULATOR, 'keyring.ts'), '../client/decision-signer')).toMatch(/client\//);
  expect(problem(file, '../../ceremonies/hsm-policies')).toMatch(/not set-up code/);
  expect(problem(file, '../state')).toBeUndefined();
  expect(problem(file, 'node:crypto')).toBeUndefined();
  expect(problem(join(SIMULATOR, 'local-fleet.ts'), '../ceremonies/inventory')).toBeUndefined();
});

test('no file under simulator/ imports activities/, client/, or ceremonies/ beyond the set-up modules', () => {
  const offending = tsFiles(SIMULATOR).flatMap((file) =>
    specifiers(readFileSync(file, 'utf8')).flatMap((spec) => {
      const why = problem(file, spec);
      return why ? [`${relative(ROOT, file)}: ${why}`] : [];
    }),
  );
  expect(offending).toEqual([]);
});

/** The .ts file a relative specifier names, if there is one. */
function resolveTs(file: string, spec: string): string | undefined {
  const base = resolve(dirname(file), spec).replace(/\.js$/, '');
  return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
}

test('nor does anything simulator/ imports, however indirectly, reach activities/ or client/', () => {
  const seen = new Map<string, string[]>(); // file -> the import chain from simulator/
  const queue: [string, string[]][] = tsFiles(SIMULATOR).map((f) => [f, [relative(ROOT, f)]]);
  const offending: string[] = [];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [file, chain] = next;
    if (seen.has(file)) continue;
    seen.set(file, chain);
    for (const spec of specifiers(readFileSync(file, 'utf8')).filter((s) => s.startsWith('.'))) {
      const target = resolveTs(file, spec);
      if (!target) continue;
      const path = relative(ROOT, target).split(sep).join('/');
      if (FORBIDDEN.includes(path.split('/')[0])) offending.push([...chain, path].join(' -> '));
      else queue.push([target, [...chain, path]]);
    }
  }
  expect(offending).toEqual([]);
});
