// How we start the embedded Temporal dev server (`temporal server start-dev`) wherever we start one:
// `npm start`, the test run and the benches. A production cluster is configured by its operators.

/** Dynamic configuration the dev server is started with (`--dynamic-config-value KEY=VALUE`).
 * The dev server re-reads its search attribute registry from its database on every request that
 * reads a search attribute (a convenience for attributes added while it runs), which a ceremony's
 * start, its phase updates and every list do; ours are all registered when it starts, so it keeps
 * the registry cached, as a cluster does. */
export const DEV_SERVER_DYNAMIC_CONFIG = ['system.forceSearchAttributesCacheRefreshOnRead=false'] as const;

/** The command-line arguments for `DEV_SERVER_DYNAMIC_CONFIG`. */
export function devServerDynamicConfigArgs(): string[] {
  return DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]);
}
