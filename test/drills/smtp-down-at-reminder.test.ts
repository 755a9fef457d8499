import { newLinkKeyEntry } from '../../ceremonies/approval-links';
import { startMailCatcher, type MailCatcher } from '../../simulator/mail-catcher';
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

// Drill: the mail server is down when a reminder is due. The ceremony goes on (approvals count,
// the next step runs) and the reminder is delivered once the mail server is back.

let mail: MailCatcher;
let h: Harness;
beforeAll(async () => {
  mail = await startMailCatcher();
  // mails carry decision links
  h = await startHarness('drill-smtp', {
    config: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(mail.smtpPort), CEREMONY_LINK_KEYS: newLinkKeyEntry('k1') },
  });
});
afterAll(async () => {
  await h?.stop();
  await mail?.close();
});

test('a reminder due while SMTP is down delays nothing and is delivered when SMTP is back', async () => {
  const id = await h.start(testPlan([gate('approve', { remindEvery: '3s' }), record('after')]));
  for (const to of APPROVERS)
    await mail.waitFor(
      (m) => m.to.includes(to) && m.headers['x-ceremony-id'] === id && m.subject.endsWith('your decision is requested'),
    );
  const port = mail.smtpPort;
  await mail.close(); // connections to the SMTP port are refused from now on

  // the reminder falls due and its first delivery fails
  await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'approval-reminder', 15_000);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest });
  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[1], planDigest: open.planDigest });
  // with the mail server still down, the step after the gate runs
  await waitForStatus(h.ceremonies, id, (s) => s.steps.find((st) => st.id === 'after')?.status === 'succeeded');
  expect((await h.ledger()).filter((e) => e.ceremonyId === id).map((e) => e.key)).toEqual(['after']);

  mail = await startMailCatcher({ smtpPort: port }); // an empty inbox: only what was held back arrives
  const final = await result(h.ceremonies, id); // the workflow ends once its mails are out
  expect(final.phase).toBe('completed');
  // the reminder that fell due while SMTP was down: one mail per approver still pending then
  const reminders = mail.mails.filter(
    (m) => m.headers['x-ceremony-id'] === id && m.subject.endsWith('Reminder: Gate approve'),
  );
  expect(
    reminders
      .map((m) => m.to)
      .flat()
      .sort(),
  ).toEqual(expect.arrayContaining([APPROVERS[0], APPROVERS[1]]));
  expect(reminders.flatMap((m) => m.to).every((to) => APPROVERS.includes(to))).toBe(true);
  expect(mail.mails.some((m) => m.headers['x-ceremony-id'] === id && m.subject.includes('Ceremony completed'))).toBe(
    true,
  );
});
