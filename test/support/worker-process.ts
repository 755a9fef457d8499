import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../../worker/config';

const root = join(__dirname, '..', '..');
const workerMain = join(root, 'dist', 'worker', 'main.js');

/** The real worker process (`node dist/worker/main.js`), so a test can kill -9 it. */
export function spawnWorker(config: AppConfig): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  if (!existsSync(workerMain)) throw new Error(`${workerMain} is missing: run the tests with \`npm test\` (it compiles first)`);
  const child = spawn(process.execPath, [workerMain], {
    // the config is read from the environment, so it goes back into one (secrets and Azure
    // settings the test put into process.env come along)
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker running')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}
