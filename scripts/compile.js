// @ts-check
// `npm run build`: compiles every TypeScript source of tsconfig.json's `include` to dist/ with swc,
// as CommonJS with source maps, in well under a second. It does not check types: `npm run typecheck`
// (tsc; in `npm test`, `npm run typecheck-and-lint`) does. Plain JavaScript, as it runs before anything is compiled.
const { transformFile } = require('@swc/core');
const { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { basename, dirname, join, relative } = require('node:path');
const process = require('node:process');

const root = dirname(require.resolve('../package.json'));
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
const outDir = join(root, tsconfig.compilerOptions.outDir);

/** The files below `dir` whose name `wanted` takes. @param {string} dir
 * @param {(name: string) => boolean} wanted @returns {string[]} */
function filesUnder(dir, wanted) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, wanted);
    return wanted(entry.name) ? [path] : [];
  });
}

/** @param {string} source */
const outputOf = (source) => join(outDir, relative(root, source)).replace(/\.ts$/, '.js');

/** @param {string} source */
async function compile(source) {
  const out = outputOf(source);
  const { code, map } = await transformFile(source, {
    swcrc: false, // .swcrc is jest's (inline maps, `import()` compiled to require)
    jsc: { parser: { syntax: 'typescript' }, target: tsconfig.compilerOptions.target },
    // `import()` stays a dynamic import: the ESM-only packages (openid-client, oidc-provider)
    // cannot be require()d, as with tsc's node16 modules
    module: { type: 'commonjs', ignoreDynamic: true },
    sourceMaps: true,
    sourceFileName: relative(dirname(out), source),
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${code}\n//# sourceMappingURL=${basename(out)}.map\n`);
  // a script with a shebang is a command (package.json's `bin`: `npx ceremony`); npm makes a bin
  // executable when it installs, but on a fresh clone dist/ does not exist yet then
  if (code.startsWith('#!')) chmodSync(out, 0o755);
  if (map) writeFileSync(`${out}.map`, map);
}

/** Outputs whose source is gone (deleted or renamed): left in dist/, a `require` of the old name
 * would still work there and hide the break until a fresh clone. @param {Set<string>} outputs */
function removeStale(outputs) {
  const stale = /** @type {string[]} */ (tsconfig.include)
    .map((dir) => join(outDir, dir))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => filesUnder(dir, (name) => /\.js(\.map)?$/.test(name)))
    .filter((path) => !outputs.has(path.replace(/\.map$/, '')));
  for (const path of stale) rmSync(path);
  return stale.length;
}

const files = /** @type {string[]} */ (tsconfig.include).flatMap((dir) =>
  filesUnder(join(root, dir), (name) => name.endsWith('.ts') && !name.endsWith('.d.ts')),
);
Promise.all(files.map(compile)).then(
  () => {
    const removed = removeStale(new Set(files.map(outputOf)));
    process.stderr.write(
      `compiled ${files.length} files to ${relative(root, outDir)}/${removed ? `, removed ${removed} whose source is gone` : ''}\n`,
    );
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
