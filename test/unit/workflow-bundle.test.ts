import { bundleWorkflows, EMPTY_SOURCE_MAP, PRELOADED_MODULES } from '../../worker/bundle';

// Every cached workflow evaluates the bundle's modules for itself (the preloaded ones aside): what
// it imports is memory per running ceremony. zod stays at the edges (client, web, CLI,
// activities); the workflow checks its inputs with small validators (workflows/inputs.ts).

/** Bytes per package in a webpack bundle (ours: everything not under node_modules). */
function sizes(code: string): Map<string, number> {
  const starts = [...code.matchAll(/^\/\*\*\*\/ "(\.\/[^"]+)"/gm)].map((m) => ({ at: m.index, module: m[1] }));
  const out = new Map<string, number>();
  starts.forEach(({ at, module }, i) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module)?.[1] ?? '(ours)';
    out.set(pkg, (out.get(pkg) ?? 0) + ((starts[i + 1]?.at ?? code.length) - at));
  });
  return out;
}

const KIB = 1024;
/** The SDK's own packages are the floor; anything else has a budget. */
const SDK = new Set(['@temporalio/workflow', '@temporalio/common', 'nexus-rpc', 'long', 'ms']);
// ours: 120 KiB since each gate, intervention and cancel is bound to its run (challenges, signed resolve/cancel);
// 124 KiB since the approval rules are one module (ceremonies/rules.ts), the inventory's among them;
// 132 KiB since the workflow's spans (workflows/tracing-interceptors.ts, idle unless traced)
const BUDGET = { ours: 132 * KIB, perPackage: 160 * KIB, total: 900 * KIB };

let code: string;
beforeAll(async () => {
  code = await bundleWorkflows({ production: true });
}, 60_000);

test('the production workflow bundle carries no zod and only the empty source map the SDK needs', () => {
  expect(code).not.toMatch(/node_modules\/zod\//);
  expect(code.match(/sourceMappingURL=data:/g)).toHaveLength(1);
  expect(code.trimEnd().endsWith(EMPTY_SOURCE_MAP)).toBe(true);
  expect(EMPTY_SOURCE_MAP.length).toBeLessThan(200);
  expect(code.length).toBeLessThan(BUDGET.total);
});

test('each package in it stays within its size budget', () => {
  const found = sizes(code);
  expect(found.get('(ours)') ?? 0).toBeLessThan(BUDGET.ours);
  const over = [...found].filter(([pkg, bytes]) => pkg !== '(ours)' && !SDK.has(pkg) && bytes > BUDGET.perPackage);
  expect(over).toEqual([]);
  // what it carries beyond the SDK is only what the workflow needs: the verifier, sha256, canonical JSON
  expect([...found.keys()].filter((pkg) => pkg !== '(ours)' && !SDK.has(pkg)).sort()).toEqual([
    '@noble/curves',
    '@noble/hashes',
    'canonicalize',
  ]);
});

test('the verifier is preloaded once per worker, not evaluated per workflow', () => {
  expect(PRELOADED_MODULES).toEqual(expect.arrayContaining(['@noble/curves/ed25519']));
  // a require the bundler did not drop (it prunes calls whose result is unused, unless told not to)
  expect(code).toMatch(
    /preloadModules\(\) {\s*__webpack_require__\([^)]*"\.\/node_modules\/@noble\/curves\/ed25519\.js"\)/,
  );
});
