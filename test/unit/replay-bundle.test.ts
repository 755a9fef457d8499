import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleKey, cachedReplayBundle } from '../../audit/tooling/replay-bundle';

function fakeDist(): { dist: string; lock: string } {
  const root = mkdtempSync(join(tmpdir(), 'bundle-key-'));
  const dist = join(root, 'dist');
  for (const dir of ['workflows', 'ceremonies', 'test', 'bench']) mkdirSync(join(dist, dir), { recursive: true });
  writeFileSync(join(dist, 'workflows', 'ceremony.js'), 'exports.a = 1;');
  writeFileSync(join(dist, 'ceremonies', 'plan.js'), 'exports.b = 2;');
  writeFileSync(join(root, 'package-lock.json'), '{"v":1}');
  return { dist, lock: join(root, 'package-lock.json') };
}

test('the bundle key changes with any compiled module or the package lock, and not with tests or benches', () => {
  const { dist, lock } = fakeDist();
  const key = bundleKey(dist, lock);
  expect(bundleKey(dist, lock)).toBe(key);
  writeFileSync(join(dist, 'test', 'x.test.js'), 'test');
  writeFileSync(join(dist, 'bench', 'fleet.js'), 'bench');
  expect(bundleKey(dist, lock)).toBe(key);
  writeFileSync(join(dist, 'ceremonies', 'plan.js'), 'exports.b = 3;');
  const changed = bundleKey(dist, lock);
  expect(changed).not.toBe(key);
  writeFileSync(join(dist, 'ceremonies', 'new.js'), '');
  expect(bundleKey(dist, lock)).not.toBe(changed);
  const withFile = bundleKey(dist, lock);
  writeFileSync(lock, '{"v":2}');
  expect(bundleKey(dist, lock)).not.toBe(withFile);
});

test('the replay bundle is built once per code version and kept in a directory only its user can read', async () => {
  const cacheDir = join(mkdtempSync(join(tmpdir(), 'bundle-cache-')), 'replay-bundles');
  const first = await cachedReplayBundle({ cacheDir });
  expect(first.built).toBe(true);
  expect(readFileSync(first.path, 'utf8')).toContain('sourceMappingURL=data:application/json');
  const mtime = statSync(first.path).mtimeMs;
  const second = await cachedReplayBundle({ cacheDir });
  expect(second).toEqual({ path: first.path, built: false });
  expect(statSync(first.path).mtimeMs).toBe(mtime);
  expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
  expect(statSync(first.path).mode & 0o077).toBe(0);
}, 60_000);
