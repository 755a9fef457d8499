import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';

/** The workflows, as every bundle of them is made (worker, tests, benches, audit replay). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Modules loaded once per worker into the shared V8 context instead of once per cached
 * workflow: the Ed25519 verifier is 0.7 MiB of code and builds 1.4 MiB of tables on its first
 * use; its caches are module-private, and the SDK freezes what it shares. */
export const PRELOADED_MODULES = ['@noble/curves/ed25519', '@noble/hashes/sha2', '@noble/hashes/utils', 'canonicalize'];

/** The workflow's spans (idle unless a ceremony starts with a trace context): in every bundle, so
 * that a history replays the same whether tracing was on or not. */
export const WORKFLOW_INTERCEPTORS = [require.resolve('../workflows/tracing-interceptors')];

type Logger = BundleOptions['logger'];

/** The SDK refuses a bundle without an inline source map (it reads one to name the script): a
 * production bundle carries this empty one instead of the real map, which is most of the bundle. */
export const EMPTY_SOURCE_MAP = `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify({ version: 3, file: 'workflow-bundle.js', sources: [], names: [], mappings: '' })).toString('base64')}`;

/** Bundle the workflows. `production`: with an empty source map instead of the real one. */
export async function bundleWorkflows(options: { production: boolean; logger?: Logger }): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: PRELOADED_MODULES,
    workflowInterceptorModules: WORKFLOW_INTERCEPTORS,
    ...(options.logger ? { logger: options.logger } : {}),
    webpackConfigHook: (config) => ({
      ...config,
      // the preload calls use nothing they load, and @noble declares `sideEffects: false`: with
      // webpack's side-effects pruning on, they would be dropped and the verifier loaded per workflow
      optimization: { ...config.optimization, sideEffects: false },
      ...(options.production ? { devtool: false } : {}),
    }),
  });
  return options.production ? `${code}\n${EMPTY_SOURCE_MAP}\n` : code;
}
