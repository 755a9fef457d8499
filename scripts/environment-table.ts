#!/usr/bin/env node
// Prints the README's environment table (`node dist/scripts/environment-table.js`); the test
// test/unit/config.test.ts fails while the README's differs.
import { environmentTable } from '../runtime/environment-docs';

console.log(environmentTable());
