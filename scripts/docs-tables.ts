#!/usr/bin/env node
// `npm run docs`: rewrites the generated tables of docs/ (each ceremony kind's parameters, the
// operation catalogue, the environment variables) between their markers, from the code.
// test/unit/docs.test.ts fails while one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_FILES, rewriteSections } from './docs/generated-tables';

const root = join(__dirname, '..', '..');
for (const file of GENERATED_FILES) {
  const path = join(root, file);
  const before = readFileSync(path, 'utf8');
  const after = rewriteSections(file, before);
  if (after !== before) writeFileSync(path, after);
  console.log(`${after === before ? 'current ' : 'rewritten'} ${file}`);
}
