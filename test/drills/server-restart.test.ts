import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { CEREMONY_SEARCH_ATTRIBUTES } from '../../contract/search-attributes';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { driveGates } from '../support/drive';
import { APPROVERS, waitForStatus } from '../support/harness';
import { freePort } from '../support/free-port';
import { executed, holdReply, until } from '../support/kill-drill';
import { initialiseDirectly } from '../support/simulated-hsm';

// Drill: the Temporal dev server stops and starts again on the same SQLite file while a ceremony
// waits on approvals and while a device step runs. Nothing is lost: an approval given before the
// restart still counts, and the device command runs once (the appliance's own log says so).

const db = join(mkdtempSync(join(tmpdir(), 'drill-db-')), 'temporal.db');
let port: number;
let server: ChildProcess;
let env: CeremonyEnv;

async function startServer(): Promise<void> {
  server = spawn(
    process.env.TEMPORAL_CLI!,
    [
      'server',
      'start-dev',
      '--db-filename',
      db,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--log-level',
      'error',
      ...CEREMONY_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
    ],
    { stdio: 'ignore' },
  );
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
  env = await startCeremonyEnv('drill-restart', { config: { TEMPORAL_ADDRESS: `127.0.0.1:${port}` } });
  initialiseDirectly(env.sim);
});
afterAll(async () => {
  await env?.close();
  const exited = new Promise((r) => server?.once('exit', r));
  server?.kill('SIGTERM');
  await exited;
});

test('a restart while waiting on approvals and during a device command loses nothing', async () => {
  const { h, sim } = env;
  holdReply(sim.appliance.faults, 'partition create', 4000);
  const id = await env.start('partition-create', {
    partition: 'payments',
    client: 'app01',
    clientHost: 'app01.example.com',
  });
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest });

  await restartServer();
  const after = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval', 60_000);
  expect(after.decisions.map((d) => d.actor)).toEqual([APPROVERS[0]]);
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[1], planDigest: open.planDigest });

  // the appliance has run the command and holds its reply: the server goes down now
  await until(
    () => executed(sim.appliance.state, 'partition create') === 1,
    'partition create on the appliance',
    15_000,
  );
  await restartServer();
  const final = await driveGates(h.ceremonies, id); // the partition owner's sign-off of the roles remains
  expect(final.phase).toBe('completed');
  expect(final.decisions.slice(0, 2).map((d) => d.actor)).toEqual(APPROVERS.slice(0, 2));
  expect(executed(sim.appliance.state, 'partition create')).toBe(1);
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments']);
  await env.expectNoSecretsInHistory(id);
});
