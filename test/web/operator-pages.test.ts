import { gate, OPERATOR, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { hashPassword } from '../../web/operator-auth';

const PASSWORD = 'operator-password-for-tests';
let env: WebEnv;
beforeAll(async () => {
  env = await startWebEnv('operators', { operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } } });
});
afterAll(async () => {
  await env?.close();
});

async function post(path: string, fields: Record<string, string>, cookie?: string) {
  const res = await fetch(`${env.baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.text(), cookie: res.headers.get('set-cookie')?.split(';')[0] };
}

async function page(path: string, cookie?: string) {
  const res = await fetch(`${env.baseUrl}${path}`, { headers: cookie ? { cookie } : {} });
  return res.text();
}

const failingCheck = () => testPlan([{ id: 'precondition', type: 'check', title: 'Precondition', op: 'ledger.require', args: { key: `never-${Date.now()}` } }]);

test('no anonymous write: resolve and cancel need an operator login, and a bad login changes nothing', async () => {
  const id = await env.h.start(failingCheck());
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'needs-intervention');
  expect(await page(`/ceremonies/${id}`)).toContain('Operator login</a> to resolve or cancel');
  expect((await post(`/ceremonies/${id}/resolve`, { action: 'abort', reason: 'x', form: 'x' })).status).toBe(401);
  const bad = await post('/login', { email: OPERATOR, password: 'wrong' });
  expect([bad.status, bad.cookie]).toEqual([401, undefined]);
  expect((await post(`/ceremonies/${id}/resolve`, { action: 'abort', reason: 'x', form: 'x' }, 'operator=forged.cookie')).status).toBe(401);
  expect((await env.h.ceremonies.status(id)).phase).toBe('needs-intervention');
  await env.h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'cleanup' });
});

test('a logged-in operator resolves a failed step and cancels a ceremony from its page', async () => {
  const login = await post('/login', { email: OPERATOR, password: PASSWORD });
  expect(login.status).toBe(303);
  const cookie = login.cookie!;

  const failed = await env.h.start(failingCheck());
  await waitForStatus(env.h.ceremonies, failed, (s) => s.phase === 'needs-intervention');
  const html = await page(`/ceremonies/${failed}`, cookie);
  expect(html).toContain('Resolve the failed step');
  const form = /name="form" value="([^"]+)"/.exec(html)![1];
  expect((await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: 'x', form: 'forged' }, cookie)).status).toBe(403);
  expect((await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: '', form }, cookie)).status).toBe(400);
  expect((await env.h.ceremonies.status(failed)).phase).toBe('needs-intervention');
  expect((await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: 'wrong precondition', form }, cookie)).status).toBe(303);
  const aborted = await result(env.h.ceremonies, failed);
  expect(aborted.phase).toBe('aborted');
  expect((await env.h.ceremonies.timeline(failed)).find((e) => e.type === 'intervention')).toMatchObject({ actor: OPERATOR, detail: 'abort: wrong precondition' });

  const gated = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, gated, (s) => s.phase === 'awaiting-approval');
  const cancelForm = /id="cancel-form"><input type="hidden" name="form" value="([^"]+)"/.exec(await page(`/ceremonies/${gated}`, cookie))![1];
  expect((await post(`/ceremonies/${gated}/cancel`, { reason: 'change withdrawn', form: cancelForm }, cookie)).status).toBe(303);
  expect((await result(env.h.ceremonies, gated)).phase).toBe('cancelled');
  // the same form again: the ceremony has ended, refused with a clear page
  const again = await post(`/ceremonies/${gated}/cancel`, { reason: 'again', form: cancelForm }, cookie);
  expect(again.status).toBe(409);
  expect(again.body).toContain('has already ended (cancelled)');
});
