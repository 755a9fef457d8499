#!/usr/bin/env node
import { runCli } from './program';

// runCli reports every error itself and resolves to the exit code; a rejection would be a bug, and
// Node then exits loudly (unhandled rejection)
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
