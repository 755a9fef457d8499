import { newLinkKeyEntry } from '../../ceremonies/approval-links';
import { startMailCatcher, type MailCatcher } from '../../simulator/mail-catcher';
import { formatStatus } from '../../cli/format';
import { record, result, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';

// `ceremony status` (and the demo, which reads it) says a ceremony is completed only once its
// workflow has closed: while its last mail is held back it is still running.

let mail: MailCatcher;
let h: Harness;
let port: number;
beforeAll(async () => {
  mail = await startMailCatcher();
  port = mail.smtpPort;
  await mail.close(); // connections to the SMTP port are refused: the outcome mail is held back
  h = await startHarness('closed', {
    config: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), CEREMONY_LINK_KEYS: newLinkKeyEntry('k1') },
  });
});
afterAll(async () => {
  await h?.stop();
  await mail?.close();
});

test('a ceremony whose steps are done but whose outcome mail is held is not "completed" until its workflow closes', async () => {
  const id = await h.start(testPlan([record('effect')]));
  // the steps are done and the workflow has reached its end; the outcome mail cannot go out
  const ending = await waitForStatus(h.ceremonies, id, (s) => s.ending !== undefined);
  expect(ending).toMatchObject({ phase: 'running', ending: 'completed', cancellable: false });
  expect(ending.steps.map((s) => s.status)).toEqual(['succeeded']);
  expect((await h.ceremonies.handle(id).describe()).status.name).toBe('RUNNING');
  expect(formatStatus(ending)).toMatch(
    new RegExp(`^${id}  RUNNING\\n[^]*ending completed: the workflow is still sending its last notifications`),
  );

  mail = await startMailCatcher({ smtpPort: port });
  await result(h.ceremonies, id);
  const closed = await h.ceremonies.status(id);
  expect(closed.phase).toBe('completed');
  expect(closed.ending).toBeUndefined();
  expect((await h.ceremonies.handle(id).describe()).status.name).toBe('COMPLETED');
});
