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

// An ended ceremony is read from its result, which holds its final status, timeline and plan: the
// server refuses queries to it, so no worker replays its history to answer (a replay waits on busy
// workers, and nothing answers while no worker runs). A ceremony ended without a result
// (terminated) is still answered, by a worker replaying it.

let h: Harness;
beforeAll(async () => {
  h = await startHarness('ended-reads', { worker: false });
});
afterAll(async () => {
  await h?.stop();
});

test('an ended ceremony answers status, timeline, plan and a decision check with no worker running', async () => {
  const worker = spawnWorker(h.config, { engine: true });
  await worker.ready;
  const id = await h.start(testPlan([gate(), record('effect')], { title: 'Read after the end' }));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const approver of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  const outcome = await result(h.ceremonies, id);
  worker.child.kill('SIGKILL');
  await worker.exited;

  const status = await h.ceremonies.status(id);
  expect(status).toMatchObject({
    ceremonyId: id,
    phase: 'completed',
    title: 'Read after the end',
    planDigest: open.planDigest,
  });
  expect(status.steps.map((s) => [s.id, s.status])).toEqual([
    ['approve', 'succeeded'],
    ['effect', 'succeeded'],
  ]);
  expect(status.decisions.map((d) => d.actor)).toEqual(APPROVERS.slice(0, 2));
  expect(Object.keys(status)).not.toContain('timeline'); // a status, as a running ceremony's
  expect(Object.keys(status)).not.toContain('plan');

  const timeline = await h.ceremonies.timeline(id);
  expect(timeline).toEqual(outcome.timeline);
  expect(timeline[0].type).toBe('ceremony-started');
  expect(timeline.at(-1)).toMatchObject({ type: 'ceremony-ended', detail: 'completed' });

  const { plan, planDigest } = await h.ceremonies.plan(id);
  expect(planDigest).toBe(open.planDigest);
  expect(plan.steps.map((s) => s.id)).toEqual(['approve', 'effect']);

  const check = await h.ceremonies.checkDecision(id, {
    kind: 'approve',
    gate: 'approve',
    actor: APPROVERS[2],
    planDigest,
    nonce: 'n-ended',
  });
  expect(check).toEqual({ code: 'finished', message: `ceremony ${id} has already ended (completed)` });
});

test('a terminated ceremony has no result: a worker replays it to answer, as it stood', async () => {
  const worker = spawnWorker(h.config, { engine: true });
  try {
    await worker.ready;
    const id = await h.start(testPlan([gate(), record('effect')]));
    const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
    await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest });
    await h.ceremonies.handle(id).terminate('test: ended without a result');

    const status = await h.ceremonies.status(id);
    expect(status.phase).toBe('awaiting-approval');
    expect(status.decisions.map((d) => d.actor)).toEqual([APPROVERS[0]]);
    expect((await h.ceremonies.timeline(id)).map((e) => e.type)).toContain('gate-opened');
    expect((await h.ceremonies.plan(id)).planDigest).toBe(open.planDigest);
  } finally {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
});
