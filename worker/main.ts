#!/usr/bin/env node
import { runWorkerProcess } from './run-process';

// the production worker: it runs only plans its own catalogue builds
runWorkerProcess().catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
