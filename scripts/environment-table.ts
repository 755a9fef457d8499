#!/usr/bin/env node
// Prints the environment table of docs/production.md (`node dist/scripts/environment-table.js`;
// `npm run docs` writes it there); the test
// test/unit/config.test.ts fails while the documented one differs.
import { environmentTable } from '../runtime/environment-docs';

console.log(environmentTable());
