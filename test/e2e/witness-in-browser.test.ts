import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { APPROVERS, OPERATOR, gate, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';
import { hashPassword } from '../../runtime/passwords';
import { loadConfig } from '../../runtime/config';
import type { OperationName } from '../../ceremonies/operations';

// A witness's view: an operator opens a rehearsal's page in Chromium while it waits at its gate,
// two approvers decide (signed, through the client), and without a reload the page shows each
// decision, each step starting and ending with the device commands it ran on the simulated
// appliance (over SSH) and their scrubbed output, and the end, in the workflow's order; under
// the app's Content-Security-Policy. Without JavaScript the same page is the plain state and
// reloads itself.

const outDir = join(__dirname, '..', '..', 'test-output', 'screenshots');
const PASSWORD = 'operator-password-for-witness';
let sim: SimulatedHsm;
let env: WebEnv;
let browser: Browser;
const consoleMessages: string[] = [];

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  sim = await startSimulatedHsm('hsm-sim-1');
  Object.assign(process.env, SECRETS); // the worker resolves env: references from its environment
  env = await startWebEnv('witness-browser', {
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    inventoryPath: sim.inventoryPath,
    livePollMs: 250,
  });
  browser = await chromium.launch({
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
});

afterEach(() => {
  const seen = consoleMessages.splice(0);
  expect(seen.filter((m) => m.includes('Content Security Policy'))).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
  await sim?.close();
});

async function loggedIn(options: { javaScriptEnabled: boolean }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('console', (message) => consoleMessages.push(message.text()));
  await page.goto(`${env.baseUrl}/login`);
  await page.fill('input[name="email"]', OPERATOR);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${env.baseUrl}/`), page.click('#login')]);
  return { context, page };
}

const device = (id: string, op: OperationName, args: Record<string, string> = {}) =>
  ({ id, type: 'device', title: op, hsm: 'hsm-sim-1', op, args }) as const;
const rehearsal = () =>
  testPlan(
    [
      gate(),
      device('first-login', 'hsm.changeInitialPassword'),
      device('init', 'hsm.init', { label: 'HSM1' }),
      device('syslog', 'hsm.configureSyslog', { host: '10.0.0.9' }),
    ],
    { hsm: 'hsm-sim-1', title: 'Witnessed rehearsal' },
  );

/** The log as the page shows it: seq, kind, event type, step, and the device commands. */
type InPage = {
  querySelector(s: string): { textContent: string } | null;
  querySelectorAll(s: string): { textContent: string }[];
  dataset: Record<string, string>;
};
const shownLog = (page: Page) =>
  page.$$eval('#witness-log > li', (items) =>
    (items as unknown as InPage[]).map((li) => ({
      seq: Number(li.dataset.seq),
      kind: li.dataset.kind,
      type: li.querySelector('.what')?.textContent,
      step: li.querySelector('.step')?.textContent,
      commands: [...li.querySelectorAll('.command-line')].map((c) => c.textContent),
      outputs: [...li.querySelectorAll('pre.output')].map((c) => c.textContent),
    })),
  );

test('the page follows a rehearsal from its gate to completion without reloading, in the order it happened', async () => {
  const id = await env.h.start(rehearsal());
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const { context, page } = await loggedIn({ javaScriptEnabled: true });
  let loads = 0;
  page.on('load', () => (loads += 1));
  await page.goto(`${env.baseUrl}/ceremonies/${id}`);
  await page.waitForFunction(() =>
    (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } }).document
      .getElementById('live-state')
      ?.textContent?.startsWith('Live:'),
  );
  const before = await shownLog(page);
  expect(before.map((e) => e.type)).toEqual(['ceremony-started', 'policy-checked', 'gate-opened']);
  await page.evaluate(() => Object.assign(globalThis, { witnessMark: 'the same document' }));

  for (const approver of APPROVERS.slice(0, 2)) {
    await env.h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
    // each decision shows as it is recorded, before the next one is made
    await page.waitForSelector(`#witness-log > li[data-kind="decision"]:has(.who:text-is("${approver}"))`);
  }
  expect(await page.locator('#decisions tbody tr td:nth-child(3)').allTextContents()).toEqual(APPROVERS.slice(0, 2));
  expect(await page.locator('#decisions tbody tr td:nth-child(5)').allTextContents()).toEqual(['cli', 'cli']);
  expect(await page.locator('#no-decisions').isVisible()).toBe(false);
  await page.waitForSelector('#witness-log > li[data-kind="ended"]', { timeout: 60_000 });
  // the timeline's end comes first; the phase turns final once the workflow has closed (its last
  // notifications sent), and the stream then ends
  for (
    const until = Date.now() + 60_000;
    !((await page.locator('#live-state').textContent()) ?? '').startsWith('The ceremony has ended') &&
    Date.now() < until;
  )
    await new Promise((r) => setTimeout(r, 250));
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');

  const seen = await shownLog(page);
  // every event of the ceremony's timeline, once each, in its order
  expect(seen.map((e) => e.seq)).toEqual((await env.h.ceremonies.timeline(id)).map((e) => e.seq));
  expect(seen.slice(before.length).map((e) => [e.kind, e.type, e.step])).toEqual([
    ['decision', 'approve', 'approve'],
    ['decision', 'approve', 'approve'],
    ['step-ended', 'gate-passed', 'approve'],
    ['step-started', 'step-started', 'first-login'],
    ['step-ended', 'step-succeeded', 'first-login'],
    ['step-started', 'step-started', 'init'],
    ['step-ended', 'step-succeeded', 'init'],
    ['step-started', 'step-started', 'syslog'],
    ['step-ended', 'step-succeeded', 'syslog'],
    ['ended', 'ceremony-ended', undefined],
  ]);
  // each step's device commands, with their output as the evidence recorded it (scrubbed)
  for (const step of final.steps.slice(1)) {
    const ended = seen.find((e) => e.type === 'step-succeeded' && e.step === step.id)!;
    const transcript = step.evidence!.transcript!;
    expect(ended.commands).toEqual(transcript.map((t) => `${t.device} (${t.user}) $ ${t.command}`));
    expect(ended.outputs).toEqual(transcript.map((t) => t.output));
  }
  expect(
    seen.find((e) => e.step === 'init' && e.type === 'step-succeeded')!.commands.map((c) => c.split(' $ ')[1]),
  ).toEqual(['hsm show', 'hsm init -label HSM1', 'hsm show']);

  // the same document all along, its phase and steps updated in place
  expect(await page.evaluate(() => (globalThis as unknown as { witnessMark?: string }).witnessMark)).toBe(
    'the same document',
  );
  expect(loads).toBe(1);
  expect(await page.locator('#phase').textContent()).toBe('completed');
  expect(await page.locator('tr[data-step] .step-status').allTextContents()).toEqual([
    'succeeded',
    'succeeded',
    'succeeded',
    'succeeded',
  ]);
  expect(await page.locator('#live-state').textContent()).toBe('The ceremony has ended (completed).');
  // what held only while the gate was open, or the ceremony ran, is gone
  expect(await page.locator('#open-gate').isVisible()).toBe(false);
  expect(await page.locator('#cancel-form').isVisible()).toBe(false);
  expect(await page.locator('#current-step b').textContent()).toBe('-');
  const text = await page.locator('body').textContent();
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  await page.screenshot({ path: join(outDir, 'witness-page.png'), fullPage: true });
  await context.close();
});

test('without JavaScript the page is the plain state, says so, and reloads itself to show what happened since', async () => {
  const id = await env.h.start(rehearsal());
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const { context, page } = await loggedIn({ javaScriptEnabled: false });
  await page.goto(`${env.baseUrl}/ceremonies/${id}`);
  expect((await shownLog(page)).map((e) => e.type)).toEqual(['ceremony-started', 'policy-checked', 'gate-opened']);
  expect(await page.locator('#phase').textContent()).toBe('awaiting-approval');
  const note = page.locator('main noscript p'); // rendered as elements only where scripts do not run
  expect(await note.isVisible()).toBe(true);
  expect(await note.textContent()).toContain('(reload to update)');
  expect(await page.locator('#live-state').textContent()).toBe('Connecting to the live view…'); // no script ran

  for (const approver of APPROVERS.slice(0, 2))
    await env.h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  const final = await result(env.h.ceremonies, id);
  // the page's own refresh (every 5 s) shows the end
  await page.waitForSelector('#witness-log > li[data-kind="ended"]', { timeout: 15_000 });
  const log = await shownLog(page);
  expect(log.at(-1)?.type).toBe('ceremony-ended');
  // the appliance was initialised by the first test: this run found it so (`hsm show` only)
  const init = final.steps.find((s) => s.id === 'init')!.evidence!;
  expect(init.outcome).toBe('already-present');
  expect(log.find((e) => e.step === 'init' && e.type === 'step-succeeded')?.commands).toEqual(
    init.transcript!.map((t) => `${t.device} (${t.user}) $ ${t.command}`),
  );
  // a refresh between the timeline's end and the workflow's close still said running: the next says completed
  for (
    const until = Date.now() + 15_000;
    (await page.locator('#phase').textContent()) !== 'completed' && Date.now() < until;
  )
    await new Promise((r) => setTimeout(r, 250));
  expect(await page.locator('#phase').textContent()).toBe('completed');
  await context.close();
});
