import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator } from 'playwright-core';
import { APPROVERS, gate, OPERATOR, record, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { hashPassword } from '../../runtime/passwords';
import { loadConfig } from '../../runtime/config';

// A person's path: the approval mail from the real SMTP server, its link opened in headless
// Chromium (Debian's /usr/bin/chromium), Approve clicked, until quorum; the ceremony moves on.
// An operator logs in, cancels a ceremony from its page and logs out. Under the app's
// Content-Security-Policy, Chromium reports no violation and the stylesheet applies.

const outDir = join(__dirname, '..', '..', 'test-output', 'screenshots');
let env: WebEnv;
let browser: BrowserContext;
const PASSWORD = 'operator-password-for-browser';
/** Console messages of every page, where Chromium reports CSP violations. */
const consoleMessages: string[] = [];

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  env = await startWebEnv('browser', { operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } } });
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-')), {
    executablePath: loadConfig().CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  browser.on('console', (message) => consoleMessages.push(message.text()));
});

afterEach(() => {
  const seen = consoleMessages.splice(0);
  expect(seen.filter((m) => m.includes('Content Security Policy'))).toEqual([]);
});

/** The background colour the element gets, from the linked stylesheet (evaluated in the page). */
type InPage = { getComputedStyle(element: unknown): { backgroundColor: string } };
const background = (locator: Locator) =>
  locator.evaluate((el) => (globalThis as unknown as InPage).getComputedStyle(el).backgroundColor);
const DARK_HEADER = 'rgb(29, 35, 48)';
afterAll(async () => {
  await browser?.close();
  await env?.close();
});

test('approvers follow their mailed links, see the plan and its digest, click Approve; at quorum the ceremony goes on', async () => {
  const id = await env.h.start(testPlan([gate(), record('effect')], { title: 'Rotate the payments KEK' }));
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');

  for (const [i, approver] of APPROVERS.slice(0, 2).entries()) {
    const mail = await env.mail.waitFor((m) => m.to.includes(approver) && m.headers['x-ceremony-id'] === id);
    const page = await browser.newPage();
    await page.goto(env.linkIn(mail));
    expect(await page.locator('#digest').textContent()).toBe(open.planDigest);
    expect(await page.locator('h1').textContent()).toBe('Rotate the payments KEK');
    expect(await background(page.locator('header'))).toBe(DARK_HEADER);
    expect(await background(page.locator('tr.this-gate'))).toBe('rgb(255, 247, 214)'); // the gate being decided
    if (i === 0) await page.screenshot({ path: join(outDir, 'approval-page.png'), fullPage: true });
    expect((await env.h.ceremonies.status(id)).decisions).toHaveLength(i); // opening it changed nothing
    await page.click('#approve');
    await page.waitForSelector('#result');
    expect(await page.locator('#result').textContent()).toContain(`${i + 1} of 2 approvals`);
    await page.close();
  }

  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions.map((d) => [d.actor, d.via])).toEqual([
    [APPROVERS[0], 'email-link'],
    [APPROVERS[1], 'email-link'],
  ]);

  const dashboard = await browser.newPage();
  await dashboard.goto(`${env.baseUrl}/ceremonies/${id}`);
  expect(await dashboard.locator('.phase').first().textContent()).toBe('completed');
  await dashboard.screenshot({ path: join(outDir, 'ceremony-page.png'), fullPage: true });
  await dashboard.goto(`${env.baseUrl}/`);
  await dashboard.waitForSelector(`a[href="/ceremonies/${id}"]`);
  await dashboard.screenshot({ path: join(outDir, 'dashboard.png'), fullPage: true });
  await dashboard.close();
});

test('an operator logs in, cancels a ceremony from its page, and logs out', async () => {
  const id = await env.h.start(testPlan([gate(), record('effect')], { title: 'Withdrawn change' }));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const page = await browser.newPage();
  await page.goto(`${env.baseUrl}/login`);
  await page.fill('input[name=email]', OPERATOR);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#login');
  await page.waitForSelector('#account');
  expect(await page.locator('#account').textContent()).toContain(`Logged in as ${OPERATOR}`);
  expect(await background(page.locator('header'))).toBe(DARK_HEADER);

  await page.goto(`${env.baseUrl}/ceremonies/${id}`);
  await page.fill('#cancel-form input[name=reason]', 'change withdrawn');
  await page.click('#cancel');
  await page.waitForURL(`${env.baseUrl}/ceremonies/${id}`);
  expect((await result(env.h.ceremonies, id)).phase).toBe('cancelled');

  await page.click('#logout');
  await page.waitForSelector('#account a[href="/login"]');
  await page.goto(`${env.baseUrl}/ceremonies/${id}`);
  expect(await page.locator('body').textContent()).toContain('Operator login to resolve or cancel');
  await page.close();
});
