/**
 * The layer order, checked by dependency-cruiser (`npm run lint:layers`, part of `npm test`).
 *
 * Lower layers never import higher ones. Each row below is one layer, lowest first; folders on the
 * same row are peers (see the peer rules further down).
 */
const LAYERS = [
  ['ceremonies'], // the domain, pure
  ['contract'], // types and constant lists across the seams, safe for the workflow bundle
  ['runtime'], // what every process shares
  ['workflows', 'activities'], // deterministic ceremony code | device and mail side effects
  ['worker'],
  ['client'],
  ['audit'],
  ['web'],
  ['cli'],
  ['scripts', 'simulator', 'bench', 'test'], // on top: may import any layer (simulator: see below)
];

/** SDK packages that do not belong in the workflow bundle (the workflow code gets @temporalio/workflow). */
const NOT_IN_WORKFLOW_BUNDLE = '^node_modules/@temporalio/(activity|client|testing|worker)/';

const folders = (row) => `^(${row.join('|')})/`;

/** One rule per layer that has layers above it: it may not import any of them. */
const layerRules = LAYERS.slice(0, -1).map((row, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return {
    name: `layer-${row.join('-')}`,
    comment: `${row.map((f) => `${f}/`).join(', ')} may not import a higher layer (${above.map((f) => `${f}/`).join(', ')})`,
    severity: 'error',
    from: { path: folders(row) },
    to: { path: folders(above) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'peer-workflows-activities',
      comment:
        'workflows/ and activities/ are peers: each may import only types from the other (values shared by ' +
        'both belong in contract/ or ceremonies/)',
      severity: 'error',
      from: { path: '^(workflows|activities)/' },
      to: { path: '^(workflows|activities)/', pathNot: '^$1/', dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'simulator-independent',
      comment:
        'the simulator is an independent second opinion: it imports nothing from activities/, client/, ' +
        'workflows/ or worker/ (it prints the documented shapes itself)',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^(activities|client|workflows|worker)/' },
    },
    {
      name: 'workflow-bundle-no-node-builtins',
      comment:
        "workflows/ and contract/ run in Temporal's workflow sandbox: no Node builtins (type-only imports are fine)",
      severity: 'error',
      from: { path: '^(workflows|contract)/' },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'workflow-bundle-no-sdk-side-packages',
      comment:
        'workflows/ and contract/ may not load the client, worker, activity or testing SDK packages (type-only ' +
        'imports are fine): they do not belong in the workflow bundle',
      severity: 'error',
      from: { path: '^(workflows|contract)/' },
      to: { path: NOT_IN_WORKFLOW_BUNDLE, dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'audit-verifier-trusts-no-temporal-client',
      comment:
        'audit/verifier/ reads a history file: no Temporal client, no worker or bundler, nothing from the ' +
        "audit's tooling (export, replay), client/ or worker/",
      severity: 'error',
      from: { path: '^audit/verifier/' },
      to: { path: ['^node_modules/@temporalio/(client|worker|testing)/', '^audit/tooling/', '^(client|worker)/'] },
    },
    {
      name: 'production-no-dev-dependencies',
      comment:
        'code that ships (everything but scripts/, simulator/, bench/ and test/) may not load a devDependency ' +
        '(type-only imports are fine)',
      severity: 'error',
      from: { path: folders(LAYERS.slice(0, -1).flat()) },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // every TypeScript source folder; dist/, node_modules/, .tools/ and test-output/ are not cruised
    exclude: { path: '^(dist|\\.tools|test-output|\\.data)/' },
    doNotFollow: { path: 'node_modules' },
    // see `import type` (so the rules above can tell type-only imports apart)
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
