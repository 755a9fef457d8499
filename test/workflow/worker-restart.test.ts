import {
  APPROVERS,
  gate,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';
import { spawnWorker } from '../support/worker-process';
import type { WorkerProcess } from '../../worker/process';

let h: Harness;
/** the workers this test started: none outlives it, whatever fails */
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  h = await startHarness('restart', { worker: false });
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await h?.stop();
});

test('killing the worker mid-step and starting another completes the ceremony with each effect applied once', async () => {
  const first = spawnWorker(h.config, { engine: true });
  workers.push(first);
  await first.ready;
  const id = await h.start(
    testPlan([
      gate('approve'),
      record('before'),
      // writes its effect, then stays busy (heartbeating) long enough for us to kill the worker
      record('slow', {
        irreversible: true,
        args: { key: 'slow', holdMs: 20_000 },
        heartbeatTimeout: '2s',
        timeout: '1m',
      }),
      record('after'),
    ]),
  );

  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  // started as production starts it (worker/node-options.ts), its workflow thread records no
  // promise stacks (WORKER_STACK_TRACES defaults to false): the Stack Trace view says so
  await expect(h.ceremonies.client.workflow.getHandle(id).query('__stack_trace')).rejects.toThrow(
    /stack traces are not enabled/,
  );
  for (const approver of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  await waitForStatus(h.ceremonies, id, (s) => s.currentStep === 'slow');
  for (let i = 0; i < 100 && !(await h.ledger()).some((e) => e.key === 'slow'); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect((await h.ledger()).map((e) => e.key)).toEqual(['before', 'slow']);

  first.child.kill('SIGKILL');
  await first.exited;

  const second = spawnWorker(h.config, { engine: true });
  workers.push(second);
  try {
    await second.ready;
    const final = await result(h.ceremonies, id);
    expect(final.phase).toBe('completed');
    const ledger = await h.ledger();
    expect(ledger.map((e) => e.key)).toEqual(['before', 'slow', 'after']);
    expect(ledger[1].pid).toBe(first.child.pid);
    expect(ledger[2].pid).toBe(second.child.pid);
    // the retried step found its effect through the probe instead of acting again
    expect(final.steps[2].evidence).toMatchObject({ outcome: 'already-present', probe: { key: 'slow', entries: 1 } });
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});
