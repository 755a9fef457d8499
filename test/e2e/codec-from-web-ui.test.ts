import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext } from 'playwright-core';
import { newLinkKeyEntry, parseLinkKeys } from '../../ceremonies/approval-links';
import { dataConverterFor } from '../../runtime/codec';
import { loadConfig } from '../../runtime/config';
import { hashPassword } from '../../runtime/passwords';
import { buildWebServer } from '../../web/server';
import { OPERATOR, startHarness, type Harness } from '../support/harness';

// The Temporal Web UI, on its own origin, asks our codec endpoint to decode payloads with the
// operator's session cookie (cross-origin, with credentials). The security headers must not get
// in its way: Chromium is the judge.

const PASSWORD = 'operator-password-for-codec';
const codec = dataConverterFor(`p1:${randomBytes(32).toString('base64')}`)!.payloadCodecs![0];
let h: Harness;
let web: FastifyInstance;
let ui: Server;
let appUrl: string;
let uiUrl: string;
let browser: BrowserContext;

beforeAll(async () => {
  h = await startHarness('codec-ui', { worker: false });
  // a stand-in for the Web UI: any page of its origin will do
  ui = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Temporal UI</title>'),
  );
  await new Promise<void>((r) => ui.listen(0, '127.0.0.1', r));
  uiUrl = `http://127.0.0.1:${(ui.address() as { port: number }).port}`;
  web = await buildWebServer({
    ceremonies: h.ceremonies,
    linkKeys: parseLinkKeys(newLinkKeyEntry()),
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    payloadCodec: codec,
    temporalUiUrl: uiUrl,
  });
  appUrl = await web.listen({ host: '127.0.0.1', port: 0 });
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
});
afterAll(async () => {
  await browser?.close();
  await web?.close();
  await new Promise<void>((r) => (ui ? ui.close(() => r()) : r()));
  await h?.stop();
});

test('the Web UI decodes a payload through the codec endpoint with the operator session, across origins', async () => {
  const [encrypted] = await codec.encode([
    { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"the plan"') },
  ]);
  const body = JSON.stringify({
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(encrypted.data!).toString('base64'),
      },
    ],
  });
  const page = await browser.newPage();
  const askFromUi = () =>
    page.evaluate(
      async ({ url, body }) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
            body,
          });
          return { status: res.status, text: await res.text() };
        } catch (err) {
          return { status: 0, text: String(err) };
        }
      },
      { url: `${appUrl}/codec/decode`, body },
    );

  await page.goto(uiUrl);
  expect(await askFromUi()).toMatchObject({ status: 401 }); // not logged in: refused, but readable by the UI

  await page.goto(`${appUrl}/login`);
  await page.fill('input[name=email]', OPERATOR);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#login');
  await page.waitForSelector('#account');

  await page.goto(uiUrl);
  const answer = await askFromUi();
  expect(answer.status).toBe(200);
  const [decoded] = (JSON.parse(answer.text) as { payloads: { data: string }[] }).payloads;
  expect(Buffer.from(decoded.data, 'base64').toString()).toBe('"the plan"');
  await page.close();
});
