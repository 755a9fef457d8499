import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadInventory } from '../../ceremonies/inventory';
import { marker } from '../../activities/tickets/comment';
import { buildWebServer } from '../../web/server';
import { SIGNATURE_HEADER, signBody, WEBHOOK_BODY_LIMIT } from '../../web/webhooks';
import { APPROVERS, result, sampleInventory, startHarness, waitForStatus, type Harness } from '../support/harness';

const SECRETS = {
  jira: 'jira-webhook-secret-1',
  servicenow: 'snow-webhook-secret-2',
  generic: 'generic-webhook-secret-3',
};
const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8'));

/** Stands in for the ticket system's comment API (our generic adapter's shape). */
let ticketApi: Server;
let ticketUrl: string;
const comments = new Map<string, string[]>();
let failNext = 0;
let h: Harness;
let web: FastifyInstance;
let base: string;

beforeAll(async () => {
  ticketApi = createServer((req, res) => {
    if (failNext > 0) {
      failNext -= 1;
      res.writeHead(503).end();
      return;
    }
    const key = decodeURIComponent(/^\/tickets\/([^/]+)\/comments$/.exec(req.url ?? '')?.[1] ?? '');
    if (req.method === 'GET')
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify((comments.get(key) ?? []).map((body) => ({ body }))));
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      comments.set(key, [...(comments.get(key) ?? []), JSON.parse(body).body]);
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => ticketApi.listen(0, '127.0.0.1', r));
  ticketUrl = `http://127.0.0.1:${(ticketApi.address() as { port: number }).port}`;
  const inventoryPath = sampleInventory(mkdtempSync(join(tmpdir(), 'tickets-')));
  h = await startHarness('tickets', { inventoryPath, config: { TICKET_GENERIC_URL: ticketUrl } });
  web = await buildWebServer({
    ceremonies: h.ceremonies,
    webhooks: { secrets: SECRETS, inventory: () => loadInventory(inventoryPath) },
  });
  base = await web.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await web?.close();
  await h?.stop();
  await new Promise<void>((r) => ticketApi.close(() => r()));
});

async function deliver(
  system: keyof typeof SECRETS,
  payload: unknown,
  options: { secret?: string; raw?: string } = {},
) {
  const body = options.raw ?? JSON.stringify(payload);
  const res = await fetch(`${base}/webhooks/tickets/${system}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER[system]]: signBody(options.secret ?? SECRETS[system], body),
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const count = async (ticket: string) => {
  // visibility catches up a moment after a start
  await new Promise((r) => setTimeout(r, 1500));
  return (await h.ceremonies.list({ ticket })).length;
};

// repeated on fresh tickets, so that a window between a check and a start would show
test.each([1, 2, 3, 4])(
  'a generic ticket delivered 10 times at once starts exactly one ceremony: one 201, nine 200 (round %i)',
  async (round) => {
    const payload = { ...fixture('generic-ticket.json'), ticket: `TKT-${Date.now()}-${round}` };
    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver('generic', payload)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(responses.filter((r) => r.json.existing === false)).toHaveLength(1);
    const ids = new Set(responses.map((r) => r.json.ceremonyId));
    expect([...ids]).toEqual([`ceremony-generic-${payload.ticket}`]);
    const planDigest = responses.find((r) => r.status === 201)!.json.planDigest;
    expect(responses.filter((r) => r.status === 200).every((r) => r.json.planDigest === planDigest)).toBe(true);
    expect(await count(`generic:${payload.ticket}`)).toBe(1);
    const later = await deliver('generic', payload);
    expect(later).toMatchObject({ status: 200, json: { existing: true } });
  },
);

test('Jira and ServiceNow payloads map to ceremonies named after their tickets', async () => {
  const jira = fixture('jira-issue-created.json');
  jira.issue.key = `OPS-${Date.now()}`;
  const j = await deliver('jira', jira);
  expect(j).toMatchObject({
    status: 201,
    json: { ceremonyId: `ceremony-jira-${jira.issue.key}`, ticket: `jira:${jira.issue.key}` },
  });
  const { plan } = await h.ceremonies.plan(j.json.ceremonyId as string);
  expect(plan).toMatchObject({
    kind: 'rehearsal',
    hsm: 'hsm-weu-1',
    requester: 'dave@example.com',
    params: { quorum: '2' },
  });

  const snow = { ...fixture('servicenow-change.json'), number: `CHG${Date.now()}` };
  expect(await deliver('servicenow', snow)).toMatchObject({
    status: 201,
    json: { ceremonyId: `ceremony-servicenow-${snow.number}` },
  });
});

test.each([
  [
    'a wrong signature',
    'generic',
    fixture('generic-ticket.json'),
    { secret: 'not-the-secret' },
    401,
    /wrong x-signature-256 signature/,
  ],
  ['malformed JSON', 'generic', null, { raw: '{"ticket": "TKT-1",' }, 400, /not valid JSON/],
  ['a missing field', 'generic', { ...fixture('generic-ticket.json'), requester: undefined }, {}, 400, /requester/],
  [
    'an unknown field',
    'generic',
    { ...fixture('generic-ticket.json'), priority: 'high' },
    {},
    400,
    /Unrecognized key: "priority"/,
  ],
  [
    'an unknown kind',
    'servicenow',
    { ...fixture('servicenow-change.json'), u_ceremony_kind: 'launch' },
    {},
    400,
    /u_ceremony_kind/,
  ],
  [
    'a Jira issue without a ceremony label',
    'jira',
    {
      ...fixture('jira-issue-created.json'),
      issue: {
        ...fixture('jira-issue-created.json').issue,
        fields: { ...fixture('jira-issue-created.json').issue.fields, labels: ['hsm:hsm-weu-1'] },
      },
    },
    {},
    400,
    /no "ceremony:<kind>" label/,
  ],
  [
    'an unknown HSM',
    'generic',
    { ...fixture('generic-ticket.json'), hsm: 'hsm-nope' },
    {},
    422,
    /hsm: unknown HSM "hsm-nope"/,
  ],
  [
    'an injection attempt in a parameter',
    'generic',
    { ...fixture('generic-ticket.json'), params: { 'quorum; hsm zeroize': '2' } },
    {},
    400,
    /params.quorum; hsm zeroize: Invalid key in record/,
  ],
  [
    'an oversize body',
    'generic',
    null,
    { raw: JSON.stringify({ ...fixture('generic-ticket.json'), pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) }) },
    413,
    /larger than/,
  ],
] as const)(
  '%s is refused with a JSON error and starts nothing',
  async (_name, system, payload, options, status, message) => {
    const ticket = `BAD-${Date.now()}`;
    const body = payload && system === 'generic' ? { ...payload, ticket } : payload;
    const r = await deliver(system, body, options);
    expect(r.status).toBe(status);
    expect([r.json.error, ...((r.json.problems as string[]) ?? [])].join('\n')).toMatch(message);
    expect(await h.ceremonies.list({ ticket: `generic:${ticket}` })).toEqual([]);
  },
);

test('a finished ticket gets a 409 unless re-opened as a new run; progress reaches the ticket once per event, also when the ticket system fails at first', async () => {
  const key = `TKT-${Date.now()}`;
  failNext = 3;
  const first = await deliver('generic', { ...fixture('generic-ticket.json'), ticket: key });
  const id = first.json.ceremonyId as string;
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const approver of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  expect((await result(h.ceremonies, id)).phase).toBe('completed');

  const posted = comments.get(key) ?? [];
  for (const event of ['gate-opened:approve', 'gate-passed:approve', 'irreversible:commit', 'ended']) {
    expect(posted.filter((c) => c.includes(marker({ ceremonyId: id, event })))).toHaveLength(1);
  }
  expect(posted).toHaveLength(4);

  const again = await deliver('generic', { ...fixture('generic-ticket.json'), ticket: key });
  expect(again.status).toBe(409);
  expect(again.json.error).toMatch(/already ran ceremony .* \(completed\).*re-open the ticket as a new run/);
  const rerun = await deliver('generic', { ...fixture('generic-ticket.json'), ticket: key, run: 2 });
  expect(rerun).toMatchObject({ status: 201, json: { ceremonyId: `ceremony-generic-${key}.r2` } });
  await h.ceremonies.cancel(rerun.json.ceremonyId as string, { by: 'dave@example.com', reason: 'test done' });
});
