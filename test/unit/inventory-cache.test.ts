import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InventoryCache } from '../../activities/inventory-cache';

const sample = readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8');

test('the inventory is parsed once, and again when the file changes', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'inv-cache-')), 'inventory.yaml');
  writeFileSync(path, sample);
  const cache = new InventoryCache(path);
  const first = cache.get();
  expect(cache.get()).toBe(first); // the same parse, not a new one
  // an edit (here as an editor saves: a new file renamed over the old) is read at the next call
  writeFileSync(`${path}.new`, sample.replace('port: 2201', 'port: 2203'));
  renameSync(`${path}.new`, path);
  const edited = cache.get();
  expect(edited).not.toBe(first);
  expect(edited.hsms['hsm-weu-1'].port).toBe(2203);
  expect(cache.get()).toBe(edited);
});

test("a broken edit fails with the inventory's own error, and the fixed file is read again", () => {
  const path = join(mkdtempSync(join(tmpdir(), 'inv-cache-')), 'inventory.yaml');
  writeFileSync(path, sample);
  const cache = new InventoryCache(path);
  cache.get();
  writeFileSync(path, sample.replace('operators:\n  - ops@example.com', 'operators: []'));
  expect(() => cache.get()).toThrow(/operators/);
  writeFileSync(path, sample);
  expect(cache.get().operators).toEqual(['ops@example.com']);
});
