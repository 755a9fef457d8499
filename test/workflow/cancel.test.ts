import {
  APPROVERS,
  gate,
  OPERATOR,
  record,
  REQUESTER,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('cancel');
});
afterAll(async () => {
  await h?.stop();
});

test('the requester can cancel while the ceremony waits on approvals', async () => {
  const id = await h.start(testPlan([gate(), record('effect', { irreversible: true })]));
  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await expect(h.ceremonies.cancel(id, { by: APPROVERS[0], reason: 'x' })).rejects.toThrow(
    /neither the requester nor an operator/,
  );
  await h.ceremonies.cancel(id, { by: REQUESTER, reason: 'change window moved' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('cancelled');
  expect(final.steps.map((s) => s.status)).toEqual(['cancelled', 'pending']);
  const timeline = await h.ceremonies.timeline(id);
  expect(timeline.at(-1)).toMatchObject({ type: 'ceremony-ended', actor: REQUESTER, detail: 'cancelled' });
  expect(await h.ledger()).toEqual([]);
});

test('cancel is refused once an irreversible step has started, and the ceremony goes on', async () => {
  const id = await h.start(
    testPlan([
      gate('approve'),
      record('reversible'),
      record('point-of-no-return', { irreversible: true, args: { key: 'point-of-no-return', holdMs: 1500 } }),
      gate('confirm'),
    ]),
  );
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const approver of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  await waitForStatus(h.ceremonies, id, (s) => s.currentStep === 'point-of-no-return');
  await expect(h.ceremonies.cancel(id, { by: OPERATOR, reason: 'too late?' })).rejects.toThrow(
    /irreversible step has started/,
  );

  const waiting = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  expect(waiting.cancellable).toBe(false);
  await expect(h.ceremonies.cancel(id, { by: REQUESTER, reason: 'still too late' })).rejects.toThrow(
    /irreversible step has started/,
  );
  for (const approver of APPROVERS.slice(0, 2)) {
    await h.ceremonies.approve(id, { gate: 'confirm', approver, planDigest: waiting.planDigest });
  }
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect((await h.ledger()).filter((e) => e.ceremonyId === id).map((e) => e.key)).toEqual([
    'reversible',
    'point-of-no-return',
  ]);
  expect((await h.ceremonies.timeline(id)).some((e) => e.type === 'cancel-requested')).toBe(false);
});
