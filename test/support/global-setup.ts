import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflows } from '../../worker/bundle';
import { CEREMONY_SEARCH_ATTRIBUTES } from '../../contract/search-attributes';
import { devServerDynamicConfigArgs } from '../../runtime/dev-server';

const root = join(__dirname, '..', '..');

/** One real Temporal dev server (from the CLI bootstrap) and one workflow bundle for the whole run;
 * test files share them and keep apart by task queue and workflow id. */
export default async function globalSetup(): Promise<void> {
  const cli =
    process.env.TEMPORAL_CLI ||
    execFileSync('bash', [join(root, 'scripts/ensure-temporal.sh')], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim()
      .split('\n')
      .pop()!;
  // the bundle a production worker runs, so that every workflow test proves it loads; made while
  // the server starts
  const [env, code] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: CEREMONY_SEARCH_ATTRIBUTES,
        extraArgs: devServerDynamicConfigArgs(),
      },
    }),
    bundleWorkflows({ production: true, logger: quietLogger }),
  ]);
  (globalThis as Record<string, unknown>).__temporalEnv = env;
  process.env.TEMPORAL_TEST_ADDRESS = env.address;
  process.env.TEMPORAL_CLI = cli;

  const outDir = join(root, 'test-output');
  mkdirSync(outDir, { recursive: true });
  const bundlePath = join(outDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.CEREMONY_WORKFLOW_BUNDLE = bundlePath;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};
