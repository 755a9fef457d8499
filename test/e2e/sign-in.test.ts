import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../../audit/tooling/export';
import { verifyHistories } from '../../audit/tooling/verify';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportMarkdown } from '../../audit/verifier/report';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { APPROVERS, gate, OPERATOR, record, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { loadConfig } from '../../runtime/config';
import type { IdTokenFault } from '../../simulator/oidc-stand-in';
import { OidcRelyingParty, SignInRefused, TRANSACTION_SECONDS } from '../../web/oidc-relying-party';

// Sign-in through OpenID Connect, in Chromium, against the local stand-in for Entra ID
// (oidc-provider): an operator signs in; an approver's link needs that approver signed in
// (step-up) and the decision records the provider's issuer and subject; a link opened as
// someone else is refused; forged or replayed state and spoiled id tokens open no session.

let env: WebEnv;
let browser: Browser;
const [ALICE, BOB, CAROL] = APPROVERS;

beforeAll(async () => {
  env = await startWebEnv('sign-in', { oidc: true });
  browser = await chromium.launch({
    executablePath: loadConfig().CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

/** A browser of its own: no session here, none at the provider. */
const fresh = (): Promise<BrowserContext> => browser.newContext();

/** Picks the person on the stand-in's login page (the page `page` is on). */
async function pick(page: Page, person: string): Promise<void> {
  expect(await page.locator('body').textContent()).toContain('Development only');
  await page.click(`button[data-person="${person}"]`);
}

/** Signs in from the app's login page; ends on the dashboard. */
async function signIn(page: Page, person: string): Promise<void> {
  await page.goto(`${env.baseUrl}/login`);
  await page.click('#sign-in');
  await pick(page, person);
  await page.waitForURL(`${env.baseUrl}/`);
}

/** A sign-in through the provider over HTTP, without a browser: the app's transaction cookie and
 * the callback URL the provider sends the browser back to, not yet followed. */
async function providerCallback(person: string): Promise<{ cookie: string; callback: string }> {
  const start = await fetch(`${env.baseUrl}/auth/login`, { redirect: 'manual' });
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const jar = new Map<string, string>();
  let url = start.headers.get('location')!;
  let form: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(`${env.baseUrl}/auth/callback?`)) return { cookie, callback: url };
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      body: form,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = res.headers.get('location');
    // a redirect to follow, or the stand-in's login page: pick the person
    form = location ? undefined : new URLSearchParams({ person });
    url = new URL(location ?? /action="([^"]+)"/.exec(await res.text())![1], url).href;
  }
  throw new Error('the provider never sent the browser back');
}

const callbackAnswer = async (callback: string, cookie?: string) => {
  const res = await fetch(callback, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const session = res.headers.getSetCookie().some((c) => c.startsWith('operator=') && !c.startsWith('operator=;'));
  return { status: res.status, text: await res.text(), session };
};

/** Who the app's dashboard says is logged in (operators only), or the login link. */
const account = async (page: Page) => {
  await page.goto(`${env.baseUrl}/`);
  return page.locator('#account').textContent();
};

test('an operator signs in through the provider, works as operator, logs out; the password login is off', async () => {
  const context = await fresh();
  const page = await context.newPage();
  await signIn(page, OPERATOR);
  expect(await page.locator('#account').textContent()).toContain(`Logged in as ${OPERATOR}`);

  const password = await fetch(`${env.baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: OPERATOR, password: 'anything' }),
  });
  expect(password.status).toBe(404);
  expect(await password.text()).toContain('the password login is off');

  await page.click('#logout');
  await page.waitForSelector('#logged-out');
  const endSession = await page.locator('#end-session').getAttribute('href');
  expect(endSession?.startsWith(`${env.oidc!.issuer}/`)).toBe(true);
  expect(await account(page)).toContain('Operator login');
  await context.close();
});

test('an approver opens the link, signs in as its person, approves; someone else signed in is refused and nothing is recorded', async () => {
  const id = await env.h.start(testPlan([gate(), record('effect')], { title: 'Rotate the KEK' }));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const linkFor = async (person: string) =>
    env.linkIn(await env.mail.waitFor((m) => m.to.includes(person) && m.headers['x-ceremony-id'] === id));

  // alice, not signed in: the link alone decides nothing, and sends her to sign in and back to it
  const alicesLink = await linkFor(ALICE);
  const anonymous = await fetch(alicesLink, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) });
  expect(anonymous.status).toBe(401);
  expect(await anonymous.text()).toContain(`sign in as ${ALICE} first`);
  const alice = await (await fresh()).newPage();
  await alice.goto(alicesLink);
  await pick(alice, ALICE);
  await alice.waitForSelector('#approve');
  expect(await alice.locator('#signed-in-as').textContent()).toContain(env.oidc!.subjectOf(ALICE));
  await alice.click('#approve');
  await alice.waitForSelector('#result');
  expect(await alice.locator('#result').textContent()).toContain('1 of 2 approvals');

  // bob, signed in, opens carol's link: refused, saying who is who
  const bob = await (await fresh()).newPage();
  await signIn(bob, BOB);
  const carolsLink = await linkFor(CAROL);
  const refused = await bob.goto(carolsLink);
  expect(refused?.status()).toBe(403);
  const refusal = await bob.locator('.refusal').textContent();
  expect(refusal).toContain(`this link is for ${CAROL}, but you are signed in as ${BOB}`);
  const posted = await bob.evaluate(
    async ([url]) => (await fetch(url, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) })).status,
    [carolsLink],
  );
  expect(posted).toBe(403);
  expect((await env.h.ceremonies.status(id)).decisions.map((d) => d.actor)).toEqual([ALICE]);

  // bob's own link works for bob
  await bob.goto(await linkFor(BOB));
  await bob.click('#approve');
  await bob.waitForSelector('#result');

  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions.map((d) => [d.actor, d.via, d.identity])).toEqual([
    [ALICE, 'email-link', { issuer: env.oidc!.issuer, subject: env.oidc!.subjectOf(ALICE) }],
    [BOB, 'email-link', { issuer: env.oidc!.issuer, subject: env.oidc!.subjectOf(BOB) }],
  ]);
  // the auditor checks the signatures, identity included, from the history, and names the subject
  const file = join(mkdtempSync(join(tmpdir(), 'sign-in-audit-')), `${id}.json`);
  await exportCeremony(env.h.ceremonies, id, file, { server: 'test' });
  const [verdict] = await verifyHistories([file], { replay: 'none' });
  expect(verdict).toMatchObject({ ok: true });
  const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))));
  expect(reportMarkdown(events, verdict)).toContain(
    `signed in as ${env.oidc!.subjectOf(ALICE)} at ${env.oidc!.issuer}`,
  );
  await alice.context().close();
  await bob.context().close();
});

test('a sign-in finished after its 10 minutes is refused before anything is asked of the provider, and is used up', async () => {
  const relyingParty = await OidcRelyingParty.discover({
    issuer: new URL(env.oidc!.issuer),
    clientId: env.oidc!.clientId,
    clientSecret: env.oidc!.clientSecret,
    redirectUrl: new URL(`${env.baseUrl}/auth/callback`),
    identityClaim: 'email',
    scopes: 'openid email profile',
  });
  const started = Date.now();
  const { transactionId, url } = await relyingParty.begin('/');
  const query = `code=not-yet-exchanged&state=${url.searchParams.get('state')}`;
  const late = relyingParty.finish(transactionId, query, started + (TRANSACTION_SECONDS + 1) * 1000);
  await expect(late).rejects.toThrow(SignInRefused);
  await expect(late).rejects.toThrow(/already used or expired/);
  // the late attempt used it up: in time now, it is unknown all the same
  await expect(relyingParty.finish(transactionId, query, started)).rejects.toThrow(/already used or expired/);
  // in time and unused, the same answer reaches the provider (which refuses the made-up code)
  const fresh = await relyingParty.begin('/');
  const inTime = relyingParty.finish(
    fresh.transactionId,
    `code=not-issued&state=${fresh.url.searchParams.get('state')}`,
  );
  await expect(inTime).rejects.toThrow(SignInRefused);
  await expect(inTime).rejects.not.toThrow(/already used or expired/);
});

test('a forged state, a replayed callback and a callback in another browser are refused and open no session', async () => {
  const first = await providerCallback(OPERATOR);
  const forged = new URL(first.callback);
  forged.searchParams.set('state', 'forged-by-someone-else');
  const refusedForged = await callbackAnswer(forged.href, first.cookie);
  expect(refusedForged).toMatchObject({ status: 403, session: false });
  expect(refusedForged.text).toContain('state');
  // the forged attempt used the transaction up: the real answer finds none
  expect(await callbackAnswer(first.callback, first.cookie)).toMatchObject({ status: 403, session: false });

  const second = await providerCallback(OPERATOR);
  expect(await callbackAnswer(second.callback, second.cookie)).toMatchObject({ status: 200, session: true });
  const replayed = await callbackAnswer(second.callback, second.cookie);
  expect(replayed).toMatchObject({ status: 403, session: false });
  expect(replayed.text).toContain('already used');

  // the answer for one browser, followed by another (a login CSRF): that one started no sign-in
  const third = await providerCallback(OPERATOR);
  expect(await callbackAnswer(third.callback)).toMatchObject({ status: 403, session: false });
});

test.each<[string, IdTokenFault, RegExp]>([
  ['carrying another nonce', 'wrong-nonce', /nonce/],
  ['tampered with after signing', 'tampered', /signature/],
  ["signed with a key not the provider's", 'foreign-key', /signature/],
  ['expired (signed by the provider)', 'expired', /exp/],
])('an id token %s is refused and opens no session', async (_, fault, why) => {
  const page = await (await fresh()).newPage();
  env.oidc!.spoilNextIdToken(fault);
  await page.goto(`${env.baseUrl}/auth/login`);
  await pick(page, OPERATOR);
  await page.waitForSelector('#sign-in-refused');
  expect(await page.locator('#sign-in-refused').textContent()).toMatch(why);
  expect(await account(page)).toContain('Operator login');
  await page.context().close();
});
