// The SDK records a stack trace for every promise a workflow creates (a promise hook installed in
// each workflow thread), only to answer a live workflow's `__stack_trace` query (the Temporal UI's
// Stack Trace view): about a quarter of a busy workflow thread's CPU, 40% of a replay's. The hook
// never touches what a workflow does. The switch is internal to the SDK
// (test/unit/promise-stack-traces.test.ts fails when it is gone).

/** Before the SDK installs its hooks in this thread: leave the promise hook out. False when the
 * hooks are installed already or the SDK has another layout (then only slower). */
export function skipPromiseStackTraces(): boolean {
  try {
    const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared') as {
      globalHandlers?: { installed?: boolean; setPromiseHook?: () => void };
    };
    if (!globalHandlers || globalHandlers.installed || typeof globalHandlers.setPromiseHook !== 'function')
      return false;
    globalHandlers.setPromiseHook = () => {};
    return true;
  } catch {
    return false;
  }
}
