// Preloaded (`node --require`, worker/node-options.ts) into the worker process and, inherited, into
// each workflow thread the SDK starts: the only code of ours that runs in those threads before the
// SDK sets them up.
import { loadConfig } from '../runtime/config';
import { skipPromiseStackTraces } from './promise-stack-traces';

function stackTracesWanted(): boolean {
  try {
    return loadConfig().WORKER_STACK_TRACES === 'true';
  } catch {
    return true; // an invalid configuration: the worker itself says what is wrong, and exits
  }
}

if (!stackTracesWanted()) skipPromiseStackTraces();
