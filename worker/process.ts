import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../runtime/config';
import { workerNodeFlags, workerProcessEnv } from './node-options';

/** The line the worker logs once it polls its task queue. */
export const WORKER_READY = 'worker running';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker logged {@link WORKER_READY}; rejects if it exits or stays silent. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** The worker as production runs it (`node <memory flags> <workerMain>`, docs/production.md) in a
 * child process of its own, for the fault drills (kill -9) and the fleet benchmark (its own memory). */
export function spawnWorkerProcess(workerMain: string, env: NodeJS.ProcessEnv, readyTimeoutMs = 60_000): WorkerProcess {
  const config = loadConfig(env);
  const child = spawn(process.execPath, [...workerNodeFlags(config), workerMain], {
    env: { ...env, ...workerProcessEnv(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** What the worker printed until it was ready (for the error if it never is); then undefined:
   * its output is still read, so that its pipes never fill, but no longer kept. */
  let output: string | undefined = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (output === undefined) return;
      output += chunk.toString();
      if (output.includes(WORKER_READY)) {
        output = undefined;
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output ?? ''}`)));
    setTimeout(
      () => reject(new Error(`the worker did not report ready within ${readyTimeoutMs / 1000} s:\n${output ?? ''}`)),
      readyTimeoutMs,
    ).unref();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}
