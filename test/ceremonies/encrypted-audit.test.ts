import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { exportCeremony } from '../../audit/tooling/export';
import { verifyHistories } from '../../audit/tooling/verify';
import { dataConverterFor } from '../../runtime/codec';
import { buildWebServer } from '../../web/server';
import { hashPassword } from '../../runtime/passwords';
import { newLinkKeyEntry, parseLinkKeys } from '../../ceremonies/approval-links';
import {
  APPROVERS,
  gate,
  OPERATOR,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';

const payloadKeys = `k1:${randomBytes(32).toString('base64')}`;
const TITLE = 'Rotate the secret-sounding KEK 42';
let h: Harness;
let id: string;
let file: string;

beforeAll(async () => {
  h = await startHarness('encrypted', { config: { CEREMONY_PAYLOAD_KEYS: payloadKeys } });
  id = await h.start(testPlan([gate(), record('effect')], { title: TITLE }));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const a of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: open.planDigest });
  expect((await result(h.ceremonies, id)).phase).toBe('completed');
  file = join(mkdtempSync(join(tmpdir(), 'enc-')), `${id}.json`);
  await exportCeremony(h.ceremonies, id, file, {
    server: 'test',
    codec: dataConverterFor(payloadKeys)!.payloadCodecs![0],
  });
});
afterAll(async () => {
  await h?.stop();
});

function everyPayloadDecoded(text: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'data' && typeof inner === 'string') out.push(Buffer.from(inner, 'base64').toString('latin1'));
        else walk(inner);
      }
  };
  walk(JSON.parse(text));
  return `${text}\n${out.join('\n')}`;
}

test('with payload encryption the exported history is unreadable without the key, and verify works with it', async () => {
  const text = readFileSync(file, 'utf8');
  expect(everyPayloadDecoded(text)).not.toContain(TITLE);
  expect(everyPayloadDecoded(text)).not.toContain('alice@example.com');
  expect(text).toContain(Buffer.from('binary/encrypted').toString('base64'));

  const [withKey] = await verifyHistories([file], {
    workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE,
    payloadKeys,
  });
  expect(withKey).toMatchObject({ ok: true, violations: [] });
  const [withoutKey] = await verifyHistories([file], { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE });
  expect(withoutKey.ok).toBe(false);
  const [wrongKey] = await verifyHistories([file], {
    workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE,
    payloadKeys: `k1:${randomBytes(32).toString('base64')}`,
  });
  expect(wrongKey.ok).toBe(false);
});

test("the ended ceremony reads back decoded: its plan from the history's first event, its timeline from the result", async () => {
  const { plan, planDigest } = await h.ceremonies.plan(id);
  expect(plan.title).toBe(TITLE);
  expect(planDigest).toBe((await h.ceremonies.status(id)).planDigest);
  expect((await h.ceremonies.timeline(id)).at(-1)).toMatchObject({ type: 'ceremony-ended', detail: 'completed' });
});

test('the web app serves the codec endpoint to the Temporal Web UI, behind the operator login', async () => {
  const keys = parseLinkKeys(newLinkKeyEntry());
  const web: FastifyInstance = await buildWebServer({
    ceremonies: h.ceremonies,
    linkKeys: keys,
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword('operator-password-x') } },
    payloadCodec: dataConverterFor(payloadKeys)!.payloadCodecs![0],
    temporalUiUrl: 'http://127.0.0.1:8233',
  });
  const base = await web.listen({ host: '127.0.0.1', port: 0 });
  try {
    const history = JSON.parse(readFileSync(file, 'utf8'));
    const encrypted = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    const ask = (cookie?: string) =>
      fetch(`${base}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ payloads: [encrypted] }),
      });
    expect((await ask()).status).toBe(401);
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${encodeURIComponent(OPERATOR)}&password=operator-password-x`,
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const res = await ask(cookie);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    const decoded = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toContain(TITLE);
  } finally {
    await web.close();
  }
});
