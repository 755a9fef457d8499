import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { appendAudit, AUDIT_ENTRIES_KEPT } from '../../simulator/audit-log';
import { FaultFile } from '../../simulator/faults';
import { StateFile } from '../../simulator/state';

// The simulator's state store: on file (every change rewrites it, as the CLI and other processes
// need) or kept in memory for the benchmarks (written on flush); the audit log's bound; faults
// re-parsed only when their file changed.

const Counter = z.object({ count: z.number().int(), label: z.string().default('none') });
const onDisk = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const freshPath = () => join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'state.json');

test('on file, each change is written at once', async () => {
  const store = new StateFile(freshPath(), Counter);
  store.write({ count: 0, label: 'a' });
  store.update((s) => void (s.count += 1));
  expect(onDisk(store.path).count).toBe(1);
  await store.transaction((s) => void (s.count += 1));
  expect(onDisk(store.path).count).toBe(2);
});

test('in memory, changes are read back at once but reach the file only on flush', async () => {
  const path = freshPath();
  writeFileSync(path, JSON.stringify({ count: 5 }));
  const store = new StateFile(path, Counter, { inMemory: true });
  expect(store.read()).toEqual({ count: 5, label: 'none' });
  store.update((s) => void (s.count += 1));
  await store.transaction((s) => void (s.count += 10));
  expect(store.read().count).toBe(16);
  expect(onDisk(path)).toEqual({ count: 5 });
  store.flush();
  expect(onDisk(path)).toEqual({ count: 16, label: 'none' });
});

test('in memory, a read is a copy and a failed transaction changes nothing', async () => {
  const store = new StateFile(freshPath(), Counter, { inMemory: true });
  expect(store.exists()).toBe(false);
  store.write({ count: 1, label: 'x' });
  expect(store.exists()).toBe(true);
  expect(existsSync(store.path)).toBe(false);
  store.read().count = 99;
  await expect(
    store.transaction((s) => {
      s.count = 42;
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  expect(store.read().count).toBe(1);
});

test("in memory, sessions in one transaction at a time never lose each other's change", async () => {
  const store = new StateFile(freshPath(), Counter, { inMemory: true });
  store.write({ count: 0, label: 'x' });
  await Promise.all(
    Array.from({ length: 20 }, () =>
      store.transaction(async (s) => {
        const seen = s.count;
        await new Promise((r) => setTimeout(r, 1));
        s.count = seen + 1;
      }),
    ),
  );
  expect(store.read().count).toBe(20);
});

test('in memory with write-behind, the file follows shortly after a change', async () => {
  const store = new StateFile(freshPath(), Counter, { inMemory: true, writeBehindMs: 20 });
  store.write({ count: 3, label: 'x' });
  expect(existsSync(store.path)).toBe(false);
  await new Promise((r) => setTimeout(r, 100));
  expect(onDisk(store.path).count).toBe(3);
});

test('the audit log keeps the most recent entries, in order', () => {
  const log: { at: string; user: string; command: string; result: number }[] = [];
  for (let i = 0; i < AUDIT_ENTRIES_KEPT + 5; i++)
    appendAudit(log, { at: '2026-01-01T00:00:00Z', user: 'tenantadmin', command: `c${i}`, result: 0 });
  expect(log).toHaveLength(AUDIT_ENTRIES_KEPT);
  expect(log[0].command).toBe('c5');
  expect(log[log.length - 1].command).toBe(`c${AUDIT_ENTRIES_KEPT + 4}`);
});

test('faults read again after their file is replaced, also within the same millisecond', () => {
  const faults = new FaultFile(join(mkdtempSync(join(tmpdir(), 'sim-faults-')), 'faults.json'));
  expect(faults.read().latencyMs).toBe(0);
  faults.write({ latencyMs: 20 });
  expect(faults.read().latencyMs).toBe(20);
  faults.write({ latencyMs: 30 });
  expect(faults.read().latencyMs).toBe(30);
  faults.write({ commandErrors: [{ match: 'hsm show', times: 1 }] });
  expect(faults.take('commandErrors', 'hsm show')).toMatchObject({ match: 'hsm show' });
  expect(faults.take('commandErrors', 'hsm show')).toBeUndefined();
  faults.read().latencyMs = 500;
  expect(faults.read().latencyMs).toBe(0);
});
