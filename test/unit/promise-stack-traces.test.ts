import { skipPromiseStackTraces } from '../../worker/promise-stack-traces';

// The worker's workflow threads and the replay child turn off the SDK's per-promise stack traces
// through an internal switch; an SDK upgrade that moves it must be noticed (ceremonies and replays
// would silently cost more CPU), not guessed at.

test("the SDK's promise stack-trace hook can be switched off before any workflow runs", () => {
  const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');
  const before = globalHandlers.setPromiseHook;
  expect(typeof before).toBe('function');
  expect(skipPromiseStackTraces()).toBe(true);
  expect(globalHandlers.setPromiseHook).not.toBe(before);
  globalHandlers.install();
  expect(globalHandlers.promiseHookInstalled).toBe(false);
  globalHandlers.uninstall();
});
