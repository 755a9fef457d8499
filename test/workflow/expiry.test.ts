import { CeremonyRefusal } from '../../client/ceremony-client';
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

let h: Harness;
beforeAll(async () => {
  h = await startHarness('expiry');
});
afterAll(async () => {
  await h?.stop();
});

test('a gate that misses its deadline reminds the pending approvers, then expires the ceremony', async () => {
  const plan = testPlan([gate('approve', { deadline: '8s', remindEvery: '2s' }), record('never')]);
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest });

  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('expired');
  expect(final.steps.map((s) => s.status)).toEqual(['expired', 'pending']);

  const timeline = await h.ceremonies.timeline(id);
  const reminders = timeline.filter((e) => e.type === 'reminder-sent');
  expect(reminders).toHaveLength(3); // at 2 s, 4 s and 6 s of an 8 s deadline: none at the deadline
  expect(timeline.at(-2)).toMatchObject({ type: 'gate-expired', detail: 'deadline passed with 1 of 2' });

  const mails = h.outbox().filter((m) => m.ceremonyId === id);
  const reminderMails = mails.filter((m) => m.kind === 'approval-reminder');
  expect(reminderMails).toHaveLength(3);
  // the approver who already approved is not reminded
  for (const mail of reminderMails) expect(mail.to.sort()).toEqual([APPROVERS[1], APPROVERS[2]].sort());
  expect(mails.some((m) => m.kind === 'outcome' && m.subject.includes('expired'))).toBe(true);
  expect(await h.ledger()).toEqual([]);

  await expect(
    h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[1], planDigest: open.planDigest }),
  ).rejects.toThrow(CeremonyRefusal);
});
