import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { APPROVERS, gate, record, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';

// A person's path: the approval mail from the real SMTP server, its link opened in headless
// Chromium (Debian's /usr/bin/chromium), Approve clicked, until quorum; the ceremony moves on.

const outDir = join(__dirname, '..', '..', 'test-output', 'screenshots');
let env: WebEnv;
let browser: BrowserContext;

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  env = await startWebEnv('browser');
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'chromium-')), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
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
