import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../../runtime/config';
import { spawnWorkerProcess, type WorkerProcess } from '../../worker/process';

const root = join(__dirname, '..', '..');
const workerMain = join(root, 'dist', 'worker', 'main.js');
/** The same process for engine tests: it accepts hand-written plans (`testPlan`). */
const engineWorkerMain = join(root, 'dist', 'test', 'support', 'engine-worker-main.js');

/** The real worker process (`node dist/worker/main.js`), so a test can kill -9 it; `engine`: the
 * engine tests' (test/support/engine-worker-main.ts), for hand-written plans. */
export function spawnWorker(config: AppConfig, options: { engine?: boolean } = {}): WorkerProcess {
  const main = options.engine ? engineWorkerMain : workerMain;
  if (!existsSync(main)) throw new Error(`${main} is missing: run the tests with \`npm test\` (it compiles first)`);
  // the config is read from the environment, so it goes back into one (secrets and Azure
  // settings the test put into process.env come along)
  return spawnWorkerProcess(main, {
    ...process.env,
    ...Object.fromEntries(
      Object.entries(config)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ),
    LOG_LEVEL: 'info',
  });
}
