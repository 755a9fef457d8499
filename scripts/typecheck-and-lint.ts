// `npm test`'s type check and lint, in one process over one TypeScript program: the checks of
// `npm run typecheck` (tsc --noEmit over tsconfig.json) and `npm run lint:code` (eslint . with
// eslint.config.mjs as it is), except that the program tsc checked is handed to typescript-eslint's
// type-aware rules (`parserOptions.programs`) instead of being parsed, bound and checked again:
// about 25 CPU-s fewer per `npm test`.
// Usage: node dist/scripts/typecheck-and-lint.js [typecheck] [lint] (default both); exit 1 on a finding.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

function createProgram(): ts.Program {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, { noEmit: true }, configPath);
  // a program of no files would pass every check: refuse it instead
  if (parsed.fileNames.length === 0) throw new Error(`${configPath} includes no TypeScript file`);
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    configFileParsingDiagnostics: parsed.errors,
  });
}

/** tsc's report of every diagnostic, as tsc prints it (in colour on a terminal); true when there are none. */
function typecheck(program: ts.Program): boolean {
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return true;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, host));
  process.stdout.write(`\nFound ${diagnostics.length} type error(s).\n`);
  return false;
}

/** ESLint with the repository's configuration, its type-aware rules reading `program`. */
async function lint(program: ts.Program): Promise<boolean> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: {
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { project: false, programs: [program] } },
    },
  });
  const results = await eslint.lintFiles(['.']);
  const text = await (await eslint.loadFormatter('stylish')).format(results);
  if (text) process.stdout.write(text);
  return results.every((r) => r.errorCount === 0 && r.fatalErrorCount === 0);
}

const CHECKS = ['typecheck', 'lint'] as const;

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  // a misspelt name would otherwise run no check and pass
  const unknown = wanted.filter((name) => !(CHECKS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    console.error(`unknown check ${unknown.join(', ')}: name ${CHECKS.join(' and/or ')}, or none for both`);
    return 2;
  }
  const runs = (check: (typeof CHECKS)[number]) => wanted.length === 0 || wanted.includes(check);
  const program = createProgram();
  const typesOk = runs('typecheck') ? typecheck(program) : true;
  const lintOk = runs('lint') ? await lint(program) : true;
  return typesOk && lintOk ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
