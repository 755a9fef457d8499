import { gate, OPERATOR, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { hashPassword } from '../../runtime/passwords';
import { buildWebServer } from '../../web/server';
import { keyring } from '../support/people';

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
  const setCookie = res.headers.get('set-cookie') ?? undefined;
  return { status: res.status, body: await res.text(), cookie: setCookie?.split(';')[0], setCookie };
}

async function page(path: string, cookie?: string) {
  const res = await fetch(`${env.baseUrl}${path}`, { headers: cookie ? { cookie } : {} });
  return res.text();
}

const failingCheck = () =>
  testPlan([
    {
      id: 'precondition',
      type: 'check',
      title: 'Precondition',
      op: 'ledger.require',
      args: { key: `never-${Date.now()}` },
    },
  ]);

test('no anonymous write: resolve and cancel need an operator login, and a bad login changes nothing', async () => {
  const id = await env.h.start(failingCheck());
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'needs-intervention');
  expect(await page(`/ceremonies/${id}`)).toContain('Operator login</a> to resolve or cancel');
  expect((await post(`/ceremonies/${id}/resolve`, { action: 'abort', reason: 'x', form: 'x' })).status).toBe(401);
  const bad = await post('/login', { email: OPERATOR, password: 'wrong' });
  expect([bad.status, bad.cookie]).toEqual([401, undefined]);
  expect(
    (await post(`/ceremonies/${id}/resolve`, { action: 'abort', reason: 'x', form: 'x' }, 'operator=forged.cookie'))
      .status,
  ).toBe(401);
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
  expect(
    (await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: 'x', form: 'forged' }, cookie)).status,
  ).toBe(403);
  expect((await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: '', form }, cookie)).status).toBe(400);
  expect((await env.h.ceremonies.status(failed)).phase).toBe('needs-intervention');
  expect(
    (await post(`/ceremonies/${failed}/resolve`, { action: 'abort', reason: 'wrong precondition', form }, cookie))
      .status,
  ).toBe(303);
  const aborted = await result(env.h.ceremonies, failed);
  expect(aborted.phase).toBe('aborted');
  expect((await env.h.ceremonies.timeline(failed)).find((e) => e.type === 'intervention')).toMatchObject({
    actor: OPERATOR,
    detail: 'abort: wrong precondition (signed by operator@example.com via web-login)',
  });

  const gated = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, gated, (s) => s.phase === 'awaiting-approval');
  const cancelForm = /id="cancel-form"><input type="hidden" name="form" value="([^"]+)"/.exec(
    await page(`/ceremonies/${gated}`, cookie),
  )![1];
  expect(
    (await post(`/ceremonies/${gated}/cancel`, { reason: 'change withdrawn', form: cancelForm }, cookie)).status,
  ).toBe(303);
  const cancelled = await result(env.h.ceremonies, gated);
  expect(cancelled.phase).toBe('cancelled');
  // signed by the web app's attestation key after the operator's login, and said so
  expect(cancelled.timeline.find((e) => e.type === 'cancel-requested')).toMatchObject({
    actor: OPERATOR,
    detail: 'change withdrawn (signed by operator@example.com via web-login)',
  });
  // the same form again: the ceremony has ended, refused with a clear page
  const again = await post(`/ceremonies/${gated}/cancel`, { reason: 'again', form: cancelForm }, cookie);
  expect(again.status).toBe(409);
  expect(again.body).toContain('has already ended (cancelled)');
});

test('logging out revokes the session on the server: a copy of its cookie is refused afterwards, other sessions go on', async () => {
  const copied = (await post('/login', { email: OPERATOR, password: PASSWORD })).cookie!;
  const otherBrowser = (await post('/login', { email: OPERATOR, password: PASSWORD })).cookie!;
  const id = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const form = /id="cancel-form"><input type="hidden" name="form" value="([^"]+)"/.exec(
    await page(`/ceremonies/${id}`, copied),
  )![1];
  expect(await page('/', copied)).toContain(`Logged in as ${OPERATOR}`);

  const out = await post('/logout', {}, copied);
  expect(out.status).toBe(303);
  expect(out.setCookie).toMatch(/^operator=;.*Max-Age=0/i);

  // the cookie as it was before logging out, replayed
  const before = await env.h.ceremonies.status(id);
  const shown = await page(`/ceremonies/${id}`, copied);
  expect(shown).toContain('Operator login</a> to resolve or cancel');
  expect(shown).not.toContain('Operator actions');
  expect(await page('/', copied)).not.toContain('Logged in as');
  expect((await post(`/ceremonies/${id}/cancel`, { reason: 'replayed cookie', form }, copied)).status).toBe(401);
  expect(
    (await post(`/ceremonies/${id}/resolve`, { action: 'abort', reason: 'replayed cookie', form }, copied)).status,
  ).toBe(401);
  expect(await env.h.ceremonies.status(id)).toEqual(before);

  // the operator's other session is untouched
  expect(await page(`/ceremonies/${id}`, otherBrowser)).toContain('id="cancel-form"');
  expect((await post(`/ceremonies/${id}/cancel`, { reason: 'test done', form }, otherBrowser)).status).toBe(303);
  expect((await result(env.h.ceremonies, id)).phase).toBe('cancelled');
});

test('the session cookie is HttpOnly, SameSite=Strict, for 8 hours, signed; Secure (and HSTS) only when the public URL is https', async () => {
  const overHttp = await post('/login', { email: OPERATOR, password: PASSWORD });
  expect(overHttp.setCookie).toMatch(/^operator=[^;]+\.[^;]+;/); // the session id and its signature
  expect(overHttp.setCookie!.split(/;\s*/).slice(1).sort()).toEqual([
    'HttpOnly',
    'Max-Age=28800',
    'Path=/',
    'SameSite=Strict',
  ]);

  const https = await buildWebServer({
    ceremonies: env.h.ceremonies,
    linkKeys: env.keys,
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    publicUrl: 'https://ceremonies.example.com',
  });
  const base = await https.listen({ host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: OPERATOR, password: PASSWORD }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')!.split(/;\s*/).slice(1).sort()).toEqual([
      'HttpOnly',
      'Max-Age=28800',
      'Path=/',
      'SameSite=Strict',
      'Secure',
    ]);
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=31536000/);
    // a session of one web app is unknown to another (sessions live in the process)
    expect(await page('/', res.headers.get('set-cookie')!.split(';')[0])).not.toContain('Logged in as');
  } finally {
    await https.close();
  }
});

test('the web app signs resolve and cancel with its attestation key: without one, or with a key the worker does not list, nothing changes', async () => {
  const failed = await env.h.start(failingCheck());
  await waitForStatus(env.h.ceremonies, failed, (s) => s.phase === 'needs-intervention');
  const before = [await env.h.ceremonies.status(failed), await env.h.ceremonies.timeline(failed)];
  for (const [attestation, status, says] of [
    [undefined, 503, 'the web app has no attestation key'],
    [
      keyring.signer('mallory@example.com'),
      409,
      'the resolve is signed with a key that is neither operator@example.com',
    ],
  ] as const) {
    const other = await buildWebServer({
      ceremonies: env.h.ceremonies,
      linkKeys: env.keys,
      attestation,
      operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    });
    const base = await other.listen({ host: '127.0.0.1', port: 0 });
    try {
      const send = (path: string, fields: Record<string, string>, cookie?: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
          body: new URLSearchParams(fields).toString(),
        });
      const cookie = (await send('/login', { email: OPERATOR, password: PASSWORD })).headers
        .get('set-cookie')!
        .split(';')[0];
      const token = /name="form" value="([^"]+)"/.exec(
        await (await fetch(`${base}/ceremonies/${failed}`, { headers: { cookie } })).text(),
      )![1];
      const refused = await send(
        `/ceremonies/${failed}/resolve`,
        { action: 'retry', reason: 'retry from a page', form: token },
        cookie,
      );
      expect(refused.status).toBe(status);
      expect(await refused.text()).toContain(says);
    } finally {
      await other.close();
    }
  }
  expect([await env.h.ceremonies.status(failed), await env.h.ceremonies.timeline(failed)]).toEqual(before);
  await env.h.ceremonies.resolve(failed, { action: 'abort', by: OPERATOR, reason: 'test done' });
});

describe('a cancel or resolve reason without visible text, or with control characters, is refused before it reaches the workflow', () => {
  let cookie: string;
  let gated: string;
  let failed: string;
  beforeAll(async () => {
    cookie = (await post('/login', { email: OPERATOR, password: PASSWORD })).cookie!;
    gated = await env.h.start(testPlan([gate()]));
    failed = await env.h.start(failingCheck());
    await waitForStatus(env.h.ceremonies, gated, (s) => s.phase === 'awaiting-approval');
    await waitForStatus(env.h.ceremonies, failed, (s) => s.phase === 'needs-intervention');
  });
  afterAll(async () => {
    await env.h.ceremonies.cancel(gated, { by: OPERATOR, reason: 'test done' });
    await env.h.ceremonies.resolve(failed, { action: 'abort', by: OPERATOR, reason: 'test done' });
  });

  test.each([
    ['empty', '', 'must contain visible text'],
    ['only spaces', '   ', 'must contain visible text'],
    ['only a zero-width space', '\u200b', 'must contain visible text'],
    ['an escape sequence', 'done\u001b[2J', 'must not contain control characters (found U+001B)'],
    ['a newline (the field is one line)', 'done\nfake line', 'must not contain control characters (found U+000A)'],
    ['a right-to-left override', 'done\u202e', 'must not contain control characters (found U+202E)'],
    ['a C1 control', 'done\u0085', 'must not contain control characters (found U+0085)'],
  ])('%s', async (_name, reason, problem) => {
    for (const [id, action, fields] of [
      [gated, 'cancel', {}],
      [failed, 'resolve', { action: 'abort' }],
    ] as const) {
      const form = /name="form" value="([^"]+)"/.exec(await page(`/ceremonies/${id}`, cookie))![1];
      const [status, timeline] = [await env.h.ceremonies.status(id), await env.h.ceremonies.timeline(id)];
      const refused = await post(`/ceremonies/${id}/${action}`, { ...fields, reason, form }, cookie);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(`the reason ${problem}`);
      expect(refused.body).toContain('Nothing was changed');
      expect(await env.h.ceremonies.status(id)).toEqual(status);
      expect(await env.h.ceremonies.timeline(id)).toEqual(timeline);
    }
  });
});
