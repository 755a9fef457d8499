import { runCli } from '../../cli/program';

/** Run the `ceremony` command in-process; its environment is this test file's `process.env`. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { log: (t) => out.push(t), error: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
