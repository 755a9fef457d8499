import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { CEREMONY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { APPROVERS, gate, record, result, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';

// Drill: the Temporal dev server stops and starts again on the same SQLite file while a ceremony
// waits on approvals and while a device step runs. Nothing is lost: an approval given before the
// restart still counts, and the step's effect is applied once.

const db = join(mkdtempSync(join(tmpdir(), 'drill-db-')), 'temporal.db');
let port: number;
let server: ChildProcess;
let h: Harness;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function startServer(): Promise<void> {
  server = spawn(process.env.TEMPORAL_CLI!, [
    'server', 'start-dev', '--db-filename', db, '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error',
    ...CEREMONY_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    try {
      await (await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '1s' })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the dev server did not come up');
}

async function restartServer(): Promise<void> {
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  await startServer();
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
  h = await startHarness('drill-restart', { config: { TEMPORAL_ADDRESS: `127.0.0.1:${port}` } });
});
afterAll(async () => {
  await h?.stop();
  const exited = new Promise((r) => server?.once('exit', r));
  server?.kill('SIGTERM');
  await exited;
});

test('a restart while waiting on approvals and during a device step loses nothing', async () => {
  const id = await h.start(testPlan([gate(), record('slow', { args: { key: 'slow', holdMs: 3000 }, heartbeatTimeout: '10s' })]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest });

  await restartServer();
  const after = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval', 60_000);
  expect(after.decisions.map((d) => d.actor)).toEqual([APPROVERS[0]]);
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[1], planDigest: open.planDigest });

  await waitForStatus(h.ceremonies, id, (s) => s.currentStep === 'slow' && s.phase === 'running', 60_000);
  await restartServer(); // while the step holds its device command
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions.map((d) => d.actor)).toEqual(APPROVERS.slice(0, 2));
  expect((await h.ledger()).filter((e) => e.ceremonyId === id).map((e) => e.key)).toEqual(['slow']);
});
