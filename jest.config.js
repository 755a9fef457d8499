const { availableParallelism } = require('node:os');
const { env } = require('node:process');

// ESM-only packages loaded with import(), which jest's CommonJS runtime refuses without
// --experimental-vm-modules: `cookie` (by @fastify/cookie) and the OpenID Connect packages (by the
// web app and its local stand-in). They are compiled to CommonJS for the tests.
const ESM_ONLY = '@fastify/cookie|cookie|openid-client|oauth4webapi|jose|oidc-provider';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    [`/node_modules/(${ESM_ONLY})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY})/)`],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  // most test files spend half their time waiting (on Temporal, a device's held reply, a heartbeat
  // timeout), so three files per core keep the cores busy (on two cores: `npm test` 332-334 s against
  // 349-358 s with two per core, alternating runs in one set-up clone); JEST_MAX_WORKERS overrides it
  maxWorkers: Number(env.JEST_MAX_WORKERS) || Math.min(3 * availableParallelism(), 8),
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
