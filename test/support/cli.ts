import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../../cli/program';

/** Run the `ceremony` command in-process; its environment is this test file's `process.env`. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { log: (t) => out.push(t), error: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Run the compiled `ceremony` command as its own process, as a user would: exit code, stdout and
 * stderr exactly as it wrote them. */
export function cliProcess(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(__dirname, '..', '..', 'dist', 'cli', 'main.js'), ...argv],
      { cwd: options.cwd, env: options.env ?? process.env, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** The first run a schedule started (after `schedule trigger`), as `schedule show --json` lists it. */
export async function firstScheduledRun(scheduleId: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const runs: { ceremonyId: string }[] = JSON.parse(
      (await cli('--json', 'schedule', 'show', scheduleId)).out,
    ).recentRuns;
    if (runs.length > 0) return runs[0].ceremonyId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`schedule ${scheduleId} started no run`);
}
