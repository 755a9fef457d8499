// @ts-check
// `npm run lint` (part of `npm test`): typescript-eslint's type-checked rules over every TypeScript
// source. Formatting is Prettier's (`npm run format`); the layer order is dependency-cruiser's
// (.dependency-cruiser.cjs). docs/architecture.md, "Lint, format and layer checks", says how to fix
// a finding.
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Every Node builtin, bare and with the `node:` prefix. */
const NODE_BUILTINS = [...new Set(builtinModules.flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`])))];

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', '.tools/', 'test-output/', '.data/']),
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // one program from tsconfig.json (which includes every .ts file) rather than the project
      // service: the whole-repository lint of `npm test` took 39 CPU-s this way against 56
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // a promise nobody awaits loses its failure: await it, return it, or `void` it saying why
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // a switch over a union (operation names, step types, timeline events) names every member or
      // has a default: a new member then fails the lint where it is not handled
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'smart'],
      'object-shorthand': ['error', 'always'],
      // `_name` marks a deliberately unused binding; `{ secret: _, ...rest }` drops a field
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // The SDK's promise-hook switch is internal and may be missing: worker/promise-stack-traces.ts loads it with
      // require() inside a try (a static import would fail the whole module), and its test does too.
      // The workflow bundler is required only when audit/tooling/replay-bundle.ts builds a bundle, so
      // that the CLI does not load the worker SDK and webpack on every command; pino-pretty only when
      // LOG_FORMAT=pretty asks for it (runtime/logger.ts).
      '@typescript-eslint/no-require-imports': [
        'error',
        { allow: ['^@temporalio/worker/lib/workflow/vm-shared$', '^\\.\\./\\.\\./worker/bundle$', '^pino-pretty$'] },
      ],

      // Node 20 can hang for ever exporting, as JWK, a KeyObject straight out of a key generation: a
      // garbage collection during the export frees the finished generation, which waits for the
      // lock the export holds (a test run hung so; a loop of a few thousand Ed25519 or RSA keys does).
      // Keys are generated as PEM (both halves), and a KeyObject made from the PEM where one is needed.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.name=/^generateKeyPair(Sync)?$/]:matches(:not(:has(Property[key.name="privateKeyEncoding"])), :not(:has(Property[key.name="publicKeyEncoding"])))',
          message:
            'generate the pair with privateKeyEncoding and publicKeyEncoding (PEM) and load a KeyObject from the PEM where one is needed: a generated KeyObject exported as JWK can hang Node 20',
        },
      ],

      // Off, with reasons:
      // - Many async functions implement an async interface (the simulator's command table, an
      //   operation's probe/act/verify, the payload codec) and need no await in some implementations.
      //   Dropping `async` there would turn a thrown error into a synchronous throw: not a
      //   behaviour-preserving change. Unhandled promises are what matters, and the two rules above
      //   catch those.
      '@typescript-eslint/require-await': 'off',
      // Our patterns match control characters on purpose (free text and identifiers refuse them,
      // tests strip terminal escapes); the rule only guards against typing one by accident.
      'no-control-regex': 'off',
      // String(x) of a value decoded from untyped JSON (a history's update arguments, an operation's
      // probe state, HTML escaping of anything) is the display we want, and `x` is `unknown` there by
      // design. Template strings are still checked (restrict-template-expressions). Worth turning on
      // again once the contract layer types the audit's decoded events and the probe states.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and is bundled with webpack: it may not
    // load Node's builtins, nor the client, worker, activity or testing SDKs. The contract layer is
    // part of that bundle. Type-only imports are erased by tsc and allowed. (The same rule, as a
    // layer rule, is in .dependency-cruiser.cjs: it also sees imports this rule's patterns miss.)
    files: ['workflows/**/*.ts', 'contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: 'workflow code runs in the sandbox: no Node builtins (do the I/O in an activity)',
            allowTypeImports: true,
          })),
          patterns: [
            {
              regex: '^@temporalio/(activity|client|testing|worker)(/|$)',
              message: 'workflow code uses @temporalio/workflow only (the other SDK packages are not bundle-safe)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON (exported histories, reports, HTTP bodies) as `any` and assert on it with
    // expect(): a wrong shape fails the assertion, which is the check these rules would ask for.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // the configuration files at the root (jest.config.js, .dependency-cruiser.cjs)
    files: ['**/*.{js,cjs}'],
    extends: [eslint.configs.recommended],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['**/*.mjs'],
    extends: [eslint.configs.recommended],
  },
  // last: turns off the stylistic rules Prettier owns
  prettier,
);
