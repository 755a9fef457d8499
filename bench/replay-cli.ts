// replay as an auditor runs it: `ceremony audit verify <dir>` (node dist/cli/main.js), one process
// a run, on the recorded corpus (test/fixtures/replay-corpus: real ceremonies of every kind on the
// simulator, device transcripts included), copied `copies` times under distinct names so a run
// lasts long enough for a stable rate. Timed from the process's spawn to its exit: cold (a fresh
// bundle cache: the process bundles the current code first), warm (the bundle cached), and the
// fast checks (`--no-replay`).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './support';
import { loadConfig } from '../runtime/config';

const root = join(__dirname, '..', '..');
export const CORPUS_DIR = join(root, 'test', 'fixtures', 'replay-corpus');
const COPIES = loadConfig().BENCH_REPLAY_CORPUS_COPIES;

interface Verdict {
  ok: boolean;
  kind?: string;
  outcome?: string;
}

function verify(
  dir: string,
  extra: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; results: Verdict[] }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [join(root, 'dist', 'cli', 'main.js'), '--json', 'audit', 'verify', ...extra, dir],
      { cwd: root, env, maxBuffer: 256 * 2 ** 20 },
      (error, stdout, stderr) => {
        const seconds = (performance.now() - t0) / 1000;
        if (error) return reject(new Error(`audit verify ${extra.join(' ')} failed: ${stderr || error.message}`));
        resolve({ seconds, results: (JSON.parse(stdout) as { results: Verdict[] }).results });
      },
    ),
  );
}

export async function replayCli(): Promise<Record<string, unknown>> {
  const histories = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.manifest.json'));
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-cli-'));
  const cache = mkdtempSync(join(tmpdir(), 'bench-replay-cache-'));
  try {
    for (let c = 0; c < COPIES; c++)
      for (const f of histories) {
        const base = f.replace(/\.json$/, '');
        const name = `copy${String(c).padStart(2, '0')}-${base}`;
        copyFileSync(join(CORPUS_DIR, f), join(dir, `${name}.json`));
        copyFileSync(join(CORPUS_DIR, `${base}.manifest.json`), join(dir, `${name}.manifest.json`));
      }
    // as a person runs it: no prebuilt bundle given, the bundle cache in a fresh XDG_CACHE_HOME
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
    delete env.CEREMONY_WORKFLOW_BUNDLE;
    const timed = async (extra: string[]) => {
      const { seconds, results } = await verify(dir, extra, env);
      const failed = results.filter((r) => !r.ok).length;
      if (failed) throw new Error(`${failed} corpus histories failed audit verify ${extra.join(' ')}`);
      return {
        histories: results.length,
        seconds: round(seconds, 2),
        historiesPerSecond: round(results.length / seconds),
      };
    };
    const cold = await timed([]);
    const warm = await timed([]);
    const fast = await timed(['--no-replay']);
    const { results } = await verify(CORPUS_DIR, ['--no-replay'], env);
    const count = (key: 'kind' | 'outcome') =>
      Object.fromEntries(
        [...new Set(results.map((r) => r[key] ?? '?'))]
          .sort()
          .map((k) => [k, results.filter((r) => r[key] === k).length]),
      );
    return {
      command: 'node dist/cli/main.js --json audit verify [--no-replay] <dir>',
      corpus: 'test/fixtures/replay-corpus',
      corpusHistories: histories.length,
      kinds: count('kind'),
      outcomes: count('outcome'),
      copies: COPIES,
      histories: histories.length * COPIES,
      coldHistoriesPerSecond: cold.historiesPerSecond,
      warmHistoriesPerSecond: warm.historiesPerSecond,
      fastChecksPerSecond: fast.historiesPerSecond,
      cold,
      warm,
      fastChecks: fast,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}
