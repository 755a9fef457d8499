import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Command } from 'commander';
import { createLinkToken, newLinkKeyEntry, parseLinkKeys } from '../../ceremonies/approval-links';
import { loadInventory } from '../../ceremonies/inventory';
import { buildProgram } from '../../cli/program';
import { dataConverterFor } from '../../runtime/codec';
import { hashPassword } from '../../runtime/passwords';
import { operatorFormToken } from '../../web/operator-auth';
import { buildWebServer } from '../../web/server';
import { SIGNATURE_HEADER, signBody } from '../../web/webhooks';
import { cli } from '../support/cli';
import { servedRoutes } from '../support/routes';
import { keyFile, keyring } from '../support/people';
import { OPERATOR, REQUESTER, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { waitForStatus } from '../support/harness';

// Drill: malformed input to every HTTP endpoint and every CLI command — wrong types, huge bodies,
// unicode, lunash injection — is refused with a clear error; nothing starts, nothing is decided,
// nothing reaches a device, nothing is mailed. The tables must name every route and command the
// app has, so a new one cannot slip in without its row.

const INJECTION = 'p1; hsm zeroize -force';
const UNICODE = 'pärtïtion-🔑';
const HUGE = 'x'.repeat(300 * 1024);
const WEBHOOK_SECRET = 'sweep-webhook-secret';
const PASSWORD = 'sweep-operator-password-1';

let env: CeremonyEnv;
let web: FastifyInstance;
let base: string;
let id: string; // one hsm-init ceremony waiting at its gate: the target of the decisions below
let digest: string;
let cookie: string;
const keys = parseLinkKeys(newLinkKeyEntry('k1'));
const payloadKeys = `p1:${randomBytes(32).toString('base64')}`;

beforeAll(async () => {
  env = await startCeremonyEnv('sweep');
  web = await buildWebServer({
    ceremonies: env.h.ceremonies,
    linkKeys: keys,
    attestation: keyring.attestation,
    linkRateLimit: 100_000,
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    payloadCodec: dataConverterFor(payloadKeys)!.payloadCodecs![0],
    webhooks: {
      inventory: () => loadInventory(env.sim.inventoryPath),
      secrets: { jira: WEBHOOK_SECRET, servicenow: WEBHOOK_SECRET, generic: WEBHOOK_SECRET },
    },
  });
  base = await web.listen({ host: '127.0.0.1', port: 0 });
  id = await env.start('hsm-init', { label: 'HSM1' });
  digest = (await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval')).planDigest;
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: OPERATOR, password: PASSWORD }),
  });
  cookie = login.headers.get('set-cookie')!.split(';')[0];
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.h.config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: env.h.config.TEMPORAL_TASK_QUEUE,
    CEREMONY_INVENTORY: env.sim.inventoryPath,
  });
});
afterAll(async () => {
  await web?.close();
  await env?.close();
});

const link = (over: Record<string, unknown> = {}) =>
  createLinkToken(keys, {
    kind: 'approval',
    ceremonyId: id,
    gate: 'approve',
    approver: 'alice@example.com',
    digest,
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...over,
  } as never).token;
const form = (body: Record<string, string>) => ({
  'content-type': 'application/x-www-form-urlencoded',
  body: new URLSearchParams(body).toString(),
});
const json = (body: unknown) => ({
  'content-type': 'application/json',
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const signed = (system: 'jira' | 'servicenow' | 'generic', body: unknown) => {
  const text = JSON.stringify(body);
  return {
    'content-type': 'application/json',
    body: text,
    headers: { [SIGNATURE_HEADER[system]]: signBody(WEBHOOK_SECRET, text) },
  };
};
const genericTicket = (over: Record<string, unknown>) => ({
  ticket: 'SWEEP-1',
  kind: 'partition-create',
  hsm: 'hsm-sim-1',
  requester: REQUESTER,
  params: { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' },
  ...over,
});

interface HttpCase {
  route: string;
  name: string;
  url: () => string;
  send?: () => { 'content-type'?: string; body?: string; headers?: Record<string, string> };
  withLogin?: boolean;
  status: number;
  says: RegExp;
}

const http: HttpCase[] = [
  {
    route: 'GET /healthz',
    name: 'junk in the query is ignored',
    url: () => `/healthz?x=${encodeURIComponent(INJECTION)}`,
    status: 200,
    says: /"ok":true/,
  },
  {
    route: 'GET /assets/app.css',
    name: 'junk in the query is ignored',
    url: () => `/assets/app.css?v=${encodeURIComponent(INJECTION)}`,
    status: 200,
    says: /\.card\{/,
  },
  {
    route: 'GET /assets/witness.js',
    name: 'junk in the query is ignored',
    url: () => `/assets/witness.js?v=${encodeURIComponent(INJECTION)}`,
    status: 200,
    says: /new EventSource/,
  },
  {
    route: 'GET /ceremonies/:id/events',
    name: 'no login',
    url: () => `/ceremonies/${id}/events`,
    status: 401,
    says: /only a logged-in operator can follow a ceremony live/,
  },
  {
    route: 'GET /ceremonies/:id/events',
    name: 'injection as the id',
    url: () => `/ceremonies/${encodeURIComponent(INJECTION)}/events`,
    withLogin: true,
    status: 400,
    says: /id must match pattern/,
  },
  {
    route: 'GET /ceremonies/:id/events',
    name: 'logged in, unknown id',
    url: () => '/ceremonies/constructor/events',
    withLogin: true,
    status: 404,
    says: /no ceremony constructor/,
  },
  {
    route: 'GET /ceremonies/:id/events',
    name: 'logged in, junk resume point',
    url: () => `/ceremonies/${id}/events?after=${encodeURIComponent(INJECTION)}`,
    withLogin: true,
    status: 400,
    says: /Last-Event-ID or after must be a whole number/,
  },
  {
    route: 'GET /',
    name: 'unknown kind',
    url: () => '/?kind=teleport',
    status: 400,
    says: /kind must be equal to one of the allowed values/,
  },
  {
    route: 'GET /',
    name: 'injection in the HSM filter',
    url: () => `/?hsm=${encodeURIComponent('hsm" OR CeremonyKind != "')}`,
    status: 400,
    says: /hsm must match pattern/,
  },
  {
    route: 'GET /',
    name: 'unicode phase',
    url: () => `/?phase=${encodeURIComponent(UNICODE)}`,
    status: 400,
    says: /phase must be equal to one of the allowed values/,
  },
  {
    route: 'GET /backups',
    name: 'injection in the HSM filter',
    url: () => `/backups?hsm=${encodeURIComponent("hsm' OR CeremonyKind != '")}`,
    status: 400,
    says: /hsm must match pattern/,
  },
  {
    route: 'GET /api/backups',
    name: 'huge HSM filter',
    url: () => `/api/backups?hsm=${'h'.repeat(5000)}`,
    status: 400,
    says: /hsm must match pattern/,
  },
  {
    route: 'GET /api/ceremonies',
    name: 'huge HSM filter',
    url: () => `/api/ceremonies?hsm=${'h'.repeat(5000)}`,
    status: 400,
    says: /hsm must match pattern/,
  },
  {
    route: 'GET /ceremonies/:id',
    name: 'injection as the id',
    url: () => `/ceremonies/${encodeURIComponent(INJECTION)}`,
    status: 400,
    says: /id must match pattern/,
  },
  {
    route: 'GET /ceremonies/:id',
    name: 'unknown id',
    url: () => '/ceremonies/ceremony-jira-NOPE-1',
    status: 404,
    says: /no ceremony ceremony-jira-NOPE-1/,
  },
  {
    route: 'GET /api/ceremonies/:id',
    name: 'unicode id',
    url: () => `/api/ceremonies/${encodeURIComponent(UNICODE)}`,
    status: 400,
    says: /id must match pattern/,
  },
  {
    route: 'GET /decide/:token',
    name: 'forged token',
    url: () => `/decide/${link().slice(0, -4)}AAAA`,
    status: 403,
    says: /this link is forged or has been altered/,
  },
  {
    route: 'GET /decide/:token',
    name: 'garbage token',
    url: () => `/decide/${encodeURIComponent(INJECTION)}`,
    status: 400,
    says: /malformed/i,
  },
  {
    route: 'GET /decide/:token',
    name: 'token of 5,000 characters',
    url: () => `/decide/${'A'.repeat(5000)}`,
    status: 414,
    says: /exceeding the max param length/,
  },
  {
    route: 'POST /decide/:token',
    name: 'no form token (CSRF)',
    url: () => `/decide/${link()}`,
    send: () => form({ decision: 'approve' }),
    status: 403,
    says: /did not come from the page of this link/,
  },
  {
    route: 'POST /decide/:token',
    name: 'JSON array body',
    url: () => `/decide/${link()}`,
    send: () => json('[1,2,3]'),
    status: 403,
    says: /did not come from the page of this link/,
  },
  {
    route: 'POST /decide/:token',
    name: '300 KiB body',
    url: () => `/decide/${link()}`,
    send: () => form({ decision: 'approve', comment: HUGE }),
    status: 413,
    says: /too large/i,
  },
  {
    route: 'GET /login',
    name: 'junk in the query is ignored',
    url: () => `/login?email=${encodeURIComponent(INJECTION)}`,
    status: 200,
    says: /Operator login/,
  },
  {
    route: 'POST /login',
    name: 'email as an object',
    url: () => '/login',
    send: () => json({ email: { $ne: null }, password: PASSWORD }),
    status: 401,
    says: /unknown operator or wrong password/,
  },
  {
    route: 'POST /login',
    name: 'unicode email, empty password',
    url: () => '/login',
    send: () => form({ email: `${UNICODE}@example.com`, password: '' }),
    status: 401,
    says: /unknown operator or wrong password/,
  },
  {
    route: 'POST /login',
    name: '300 KiB password',
    url: () => '/login',
    send: () => form({ email: OPERATOR, password: HUGE }),
    status: 413,
    says: /too large/i,
  },
  {
    route: 'POST /logout',
    name: 'a body is ignored',
    url: () => '/logout',
    send: () => form({ email: INJECTION }),
    status: 303,
    says: /^$/,
  },
  {
    route: 'POST /ceremonies/:id/resolve',
    name: 'no login',
    url: () => `/ceremonies/${id}/resolve`,
    send: () => form({ action: 'abort', reason: 'x' }),
    status: 401,
    says: /only a logged-in operator/,
  },
  {
    route: 'POST /ceremonies/:id/resolve',
    name: 'logged in, forged form token',
    url: () => `/ceremonies/${id}/resolve`,
    withLogin: true,
    send: () => form({ action: 'abort', reason: 'x', form: 'forged' }),
    status: 403,
    says: /CSRF protection/,
  },
  {
    route: 'POST /ceremonies/:id/resolve',
    name: 'logged in, unknown action',
    url: () => `/ceremonies/${id}/resolve`,
    withLogin: true,
    send: () => form({ action: INJECTION, reason: 'x', form: operatorFormToken(keys, OPERATOR, id) }),
    status: 400,
    says: /choose retry or abort/,
  },
  {
    route: 'POST /ceremonies/:id/cancel',
    name: 'logged in, no reason',
    url: () => `/ceremonies/${id}/cancel`,
    withLogin: true,
    send: () => form({ form: operatorFormToken(keys, OPERATOR, id) }),
    status: 400,
    says: /reason/,
  },
  {
    route: 'POST /ceremonies/:id/cancel',
    name: 'injection as the id',
    url: () => `/ceremonies/${encodeURIComponent(INJECTION)}/cancel`,
    withLogin: true,
    send: () => form({ reason: 'x' }),
    status: 400,
    says: /id must match pattern/,
  },
  {
    route: 'OPTIONS /codec/decode',
    name: 'preflight with junk headers',
    url: () => '/codec/decode',
    send: () => ({ headers: { 'access-control-request-headers': INJECTION } }),
    status: 204,
    says: /^$/,
  },
  {
    route: 'POST /codec/decode',
    name: 'no login',
    url: () => '/codec/decode',
    send: () => json({ payloads: [] }),
    status: 401,
    says: /operator login needed/,
  },
  {
    route: 'POST /codec/decode',
    name: 'payloads of the wrong type',
    url: () => '/codec/decode',
    withLogin: true,
    send: () => json({ payloads: 'all of them' }),
    status: 400,
    says: /body\/payloads.* must be/,
  },
  {
    route: 'POST /codec/decode',
    name: 'a payload that is not ours',
    url: () => '/codec/decode',
    withLogin: true,
    send: () =>
      json({
        payloads: [
          {
            metadata: {
              encoding: Buffer.from('binary/encrypted').toString('base64'),
              'encryption-key-id': Buffer.from('p9').toString('base64'),
            },
            data: 'AAAA',
          },
        ],
      }),
    status: 400,
    says: /key/,
  },
  {
    route: 'OPTIONS /codec/encode',
    name: 'preflight',
    url: () => '/codec/encode',
    send: () => ({}),
    status: 204,
    says: /^$/,
  },
  {
    route: 'POST /codec/encode',
    name: '300 KiB body',
    url: () => '/codec/encode',
    withLogin: true,
    send: () => json({ payloads: [{ data: HUGE }] }),
    status: 413,
    says: /too large/i,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'unknown ticket system',
    url: () => '/webhooks/tickets/github',
    send: () => signed('generic', genericTicket({})),
    status: 400,
    says: /system must be equal to one of the allowed values/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'unsigned',
    url: () => '/webhooks/tickets/generic',
    send: () => json(genericTicket({})),
    status: 401,
    says: /missing or wrong x-signature-256 signature/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'lunash injection in a partition name',
    url: () => '/webhooks/tickets/generic',
    send: () =>
      signed(
        'generic',
        genericTicket({ params: { partition: INJECTION, client: 'app01', clientHost: 'app01.example.com' } }),
      ),
    status: 422,
    says: /partition: expected 1-32 letters/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'unicode partition name',
    url: () => '/webhooks/tickets/generic',
    send: () =>
      signed(
        'generic',
        genericTicket({ params: { partition: UNICODE, client: 'app01', clientHost: 'app01.example.com' } }),
      ),
    status: 422,
    says: /partition: expected 1-32 letters/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'kind of the wrong type',
    url: () => '/webhooks/tickets/generic',
    send: () => signed('generic', genericTicket({ kind: 7 })),
    status: 400,
    says: /does not describe a ceremony/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'Jira issue that is a string',
    url: () => '/webhooks/tickets/jira',
    send: () => signed('jira', { webhookEvent: 'jira:issue_created', issue: 'OPS-1' }),
    status: 400,
    says: /does not describe a ceremony/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: 'ServiceNow change with an unknown HSM',
    url: () => '/webhooks/tickets/servicenow',
    send: () =>
      signed('servicenow', {
        number: 'CHG0000001',
        sys_id: '9d385017c611228701d22104cc95c371',
        requested_by: { email: REQUESTER },
        u_ceremony_kind: 'hsm-init',
        u_hsm: 'hsm-nope',
        u_ceremony_params: { label: 'X' },
      }),
    status: 422,
    says: /unknown HSM .{0,2}hsm-nope/,
  },
  {
    route: 'POST /webhooks/tickets/:system',
    name: '300 KiB body',
    url: () => '/webhooks/tickets/generic',
    send: () => signed('generic', genericTicket({ notes: HUGE })),
    status: 413,
    says: /larger than/,
  },
];

async function request(c: HttpCase): Promise<{ status: number; text: string }> {
  const sent = c.send?.();
  const [method] = c.route.split(' ');
  const headers: Record<string, string> = {
    ...(sent?.headers ?? {}),
    ...(sent?.['content-type'] ? { 'content-type': sent['content-type'] } : {}),
    ...(c.withLogin ? { cookie } : {}),
  };
  const res = await fetch(`${base}${c.url()}`, { method, redirect: 'manual', headers, body: sent?.body });
  return { status: res.status, text: await res.text() };
}

test('the HTTP table covers every route the web app serves', () => {
  expect([...new Set(http.map((c) => c.route))].sort()).toEqual(servedRoutes(web).sort());
});

test.each(http)('$route — $name: $status', async (c) => {
  const res = await request(c);
  expect(res.status).toBe(c.status);
  expect(res.text).toMatch(c.says);
  expect(res.text).not.toMatch(/\n\s+at /); // no stack trace
});

interface CliCase {
  command: string;
  argv: () => string[];
  /** Run the installed binary with this on stdin (commands that read stdin). */
  stdin?: string;
  says: RegExp;
}

function binary(argv: string[], input: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'main.js'), ...argv], {
    input,
    encoding: 'utf8',
    env: process.env,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.trim() };
}

const garbageFile = join(mkdtempSync(join(tmpdir(), 'sweep-')), 'not-a-history.json');
writeFileSync(garbageFile, '{"events": "no"}');

const cliCases: CliCase[] = [
  {
    command: 'start',
    argv: () => [
      'start',
      'partition-create',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-2',
      '--requester',
      REQUESTER,
      '--param',
      `partition=${INJECTION}`,
      '--param',
      'client=app01',
      '--param',
      'clientHost=app01.example.com',
    ],
    says: /partition: expected 1-32 letters/,
  },
  {
    command: 'start',
    argv: () => [
      'start',
      'hsm-init',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-3',
      '--requester',
      REQUESTER,
      '--param',
      `label=${UNICODE}`,
    ],
    says: /label: expected 1-32 letters/,
  },
  {
    command: 'start',
    argv: () => ['start', 'rehearsal', '--hsm', 'hsm-nope', '--ticket', 'jira:SWEEP-4', '--requester', REQUESTER],
    says: /hsm: unknown HSM "hsm-nope"/,
  },
  {
    command: 'start',
    argv: () => ['start', 'teleport', '--hsm', 'hsm-sim-1', '--ticket', 'jira:SWEEP-5', '--requester', REQUESTER],
    says: /kind: Invalid option/,
  },
  {
    command: 'start',
    argv: () => [
      'start',
      'rehearsal',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:X-1; hsm zeroize',
      '--requester',
      REQUESTER,
    ],
    says: /ticket: expected a ticket reference/,
  },
  {
    command: 'start',
    argv: () => ['start', 'rehearsal', '--hsm', 'hsm-sim-1', '--ticket', 'jira:SWEEP-6', '--requester', 'dave'],
    says: /requester: expected an email/,
  },
  {
    command: 'start',
    argv: () => [
      'start',
      'rehearsal',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-7',
      '--requester',
      REQUESTER,
      '--param',
      'oops',
    ],
    says: /--param expects key=value/,
  },
  {
    command: 'start',
    argv: () => [
      'start',
      'rehearsal',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-8',
      '--requester',
      REQUESTER,
      '--param',
      `quorum=${'9'.repeat(5000)}`,
    ],
    says: /quorum/,
  },
  {
    command: 'start',
    argv: () => ['start', 'rehearsal', '--hsm', 'hsm-sim-1', '--ticket', 'jira:SWEEP-9'],
    says: /required option '--requester <email>' not specified/,
  },
  {
    command: 'status',
    argv: () => ['status', 'ceremony-does-not-exist'],
    says: /refused: no ceremony ceremony-does-not-exist/,
  },
  { command: 'status', argv: () => ['status', INJECTION], says: /^refused: no ceremony p1; hsm zeroize -force$/m },
  { command: 'timeline', argv: () => ['timeline', UNICODE], says: /^refused: no ceremony pärtïtion-🔑$/m },
  { command: 'plan', argv: () => ['plan', 'ceremony-does-not-exist'], says: /no ceremony ceremony-does-not-exist/ },
  {
    command: 'plan',
    argv: () => [
      'plan',
      '--preview',
      'teleport',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-10',
      '--requester',
      REQUESTER,
    ],
    says: /kind: Invalid option/,
  },
  {
    command: 'plan',
    argv: () => [
      'plan',
      '--preview',
      'rehearsal',
      '--hsm',
      'hsm-nope',
      '--ticket',
      'jira:SWEEP-11',
      '--requester',
      REQUESTER,
    ],
    says: /hsm: unknown HSM "hsm-nope"/,
  },
  {
    command: 'plan',
    argv: () => [
      'plan',
      '--preview',
      'partition-create',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-12',
      '--requester',
      REQUESTER,
      '--param',
      `partition=${INJECTION}`,
      '--param',
      'client=app01',
      '--param',
      'clientHost=app01.example.com',
    ],
    says: /partition: expected 1-32 letters/,
  },
  { command: 'list', argv: () => ['list', '--phase', 'exploded'], says: /argument 'exploded' is invalid/ },
  {
    command: 'backups',
    argv: () => ['backups', '--hsm', "hsm' OR CeremonyKind != '"],
    says: /--hsm: "hsm' OR CeremonyKind != '" is not an HSM name/,
  },
  { command: 'list', argv: () => ['list', '--limit', 'many'], says: /--limit/ },
  {
    command: 'hsm cert-expiry',
    argv: () => ['hsm', 'cert-expiry', '--hsm', '__proto__'],
    says: /--hsm: unknown HSM "__proto__"/,
  },
  {
    command: 'hsm cert-expiry',
    argv: () => ['hsm', 'cert-expiry', '--warn-days', '0'],
    says: /--warn-days.*expected a whole number of days/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      'not-hex',
      '--as',
      'alice@example.com',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /--digest: expected the plan digest/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      '0123456789ab',
      '--as',
      'alice@example.com',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /plan digest mismatch/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      REQUESTER,
      '--key',
      keyFile(REQUESTER),
    ],
    says: /requested this ceremony and cannot approve it/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      'mallory@example.com',
      '--key',
      keyFile('mallory@example.com'),
    ],
    says: /mallory@example.com is not an approver/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      INJECTION,
      '--digest',
      digest,
      '--as',
      'alice@example.com',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /gate/,
  },
  {
    command: 'reject',
    argv: () => [
      'reject',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      'alice@example.com',
      '--reason',
      '',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /reason/,
  },
  {
    command: 'signoff',
    argv: () => [
      'signoff',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      'alice@example.com',
      '--reference',
      'MS-1',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /refused/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      'bob@example.com',
      '--key',
      keyFile('alice@example.com'),
    ],
    says: /signed with a key that is neither bob@example.com's nor the web app's/,
  },
  {
    command: 'approve',
    argv: () => [
      'approve',
      id,
      '--gate',
      'approve',
      '--digest',
      digest,
      '--as',
      'alice@example.com',
      '--key',
      '/nonexistent/alice.pem',
    ],
    says: /--key: signing key \/nonexistent\/alice.pem cannot be read/,
  },
  {
    command: 'approve',
    argv: () => ['approve', id, '--gate', 'approve', '--digest', digest, '--as', 'alice@example.com'],
    says: /required option '--key <file>' not specified/,
  },
  { command: 'keygen', argv: () => ['keygen', '--out', garbageFile], says: /exists; choose another file/ },
  {
    command: 'resolve',
    argv: () => ['resolve', id, '--action', 'explode', '--as', OPERATOR, '--reason', 'r'],
    says: /argument 'explode' is invalid/,
  },
  {
    command: 'resolve',
    argv: () => ['resolve', id, '--action', 'retry', '--as', OPERATOR, '--reason', 'r', '--key', keyFile(OPERATOR)],
    says: /^refused: ceremony \S+ is awaiting-approval, not waiting for an intervention$/m,
  },
  {
    command: 'resolve',
    argv: () => ['resolve', id, '--action', 'retry', '--as', OPERATOR, '--reason', 'r'],
    says: /required option '--key <file>' not specified/,
  },
  {
    command: 'cancel',
    argv: () => ['cancel', id, '--as', 'not-an-email', '--reason', 'r', '--key', keyFile(OPERATOR)],
    says: /by: expected an email/,
  },
  {
    command: 'cancel',
    argv: () => ['cancel', id, '--as', OPERATOR, '--reason', 'r', '--key', keyFile('mallory@example.com')],
    says: /the cancel is signed with a key that is neither operator@example.com's nor the web app's/,
  },
  {
    command: 'hash-password',
    argv: () => ['hash-password'],
    stdin: 'short\n',
    says: /^refused: use at least 12 characters$/m,
  },
  {
    command: 'audit export',
    argv: () => ['audit', 'export', 'ceremony-does-not-exist', '-o', join(tmpdir(), 'never.json')],
    says: /no ceremony ceremony-does-not-exist/,
  },
  { command: 'audit verify', argv: () => ['audit', 'verify', garbageFile], says: /not-a-history.json/ },
  {
    command: 'audit verify',
    argv: () => ['audit', 'verify', '/nonexistent/history.json'],
    says: /\/nonexistent\/history.json/,
  },
  {
    command: 'audit report',
    argv: () => ['audit', 'report', id, '--format', 'pdf'],
    says: /argument 'pdf' is invalid/,
  },
  {
    command: 'schedule backup',
    argv: () => [
      'schedule',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      INJECTION,
      '--every',
      '24h',
      '--requester',
      REQUESTER,
    ],
    says: /expected 1-32 letters/,
  },
  {
    command: 'schedule backup',
    argv: () => [
      'schedule',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      'payments',
      '--every',
      'fortnightly',
      '--requester',
      REQUESTER,
    ],
    says: /every/,
  },
  {
    command: 'schedule drill',
    argv: () => [
      'schedule',
      'drill',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      INJECTION,
      '--every',
      '7d',
      '--requester',
      REQUESTER,
    ],
    says: /expected 1-32 letters/,
  },
  {
    command: 'schedule drill',
    argv: () => [
      'schedule',
      'drill',
      '--hsm',
      'hsm-sim-1',
      '--partitions',
      'scratch',
      '--every',
      '7d',
      '--requester',
      REQUESTER,
    ],
    says: /a scratch partition is not drilled/,
  },
  {
    command: 'start',
    argv: () => [
      'start',
      'restore',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      'jira:SWEEP-13',
      '--requester',
      REQUESTER,
      '--param',
      'partition=payments',
      '--param',
      `backup=${INJECTION}`,
    ],
    says: /backup: expected a backup label/,
  },
  { command: 'schedule list', argv: () => ['schedule', 'list', '--bogus'], says: /unknown option '--bogus'/ },
  { command: 'schedule show', argv: () => ['schedule', 'show', 'backup-nope'], says: /no schedule backup-nope/ },
  {
    command: 'schedule pause',
    argv: () => ['schedule', 'pause', 'backup-nope', '--reason', 'r'],
    says: /no schedule backup-nope/,
  },
  {
    command: 'schedule unpause',
    argv: () => ['schedule', 'unpause', 'backup-nope', '--reason', 'r'],
    says: /no schedule backup-nope/,
  },
  { command: 'schedule trigger', argv: () => ['schedule', 'trigger', UNICODE], says: /schedule/ },
  { command: 'schedule delete', argv: () => ['schedule', 'delete', 'backup-nope'], says: /no schedule backup-nope/ },
];

function leafCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) =>
    c.commands.length ? leafCommands(c, `${prefix}${c.name()} `) : [`${prefix}${c.name()}`],
  );
}

test('the CLI table covers every command', () => {
  expect([...new Set(cliCases.map((c) => c.command))].sort()).toEqual(leafCommands(buildProgram()).sort());
});

test.each(cliCases)('ceremony $command — %#', async (c) => {
  const r = c.stdin === undefined ? await cli(...c.argv()) : binary(c.argv(), c.stdin);
  expect(r.code).not.toBe(0);
  expect(`${r.out}\n${r.err}`).toMatch(c.says);
  expect(r.err).not.toMatch(/\n\s+at /);
});

// the last test of the file: nothing of the above started, decided, sent or mailed anything
test('afterwards: nothing started, nothing decided, no device command, no mail', async () => {
  const status = await env.h.ceremonies.status(id);
  expect(status).toMatchObject({ phase: 'awaiting-approval', decisions: [] });
  const wouldBe = [
    'jira-SWEEP-2',
    'jira-SWEEP-3',
    'jira-SWEEP-4',
    'jira-SWEEP-5',
    'jira-SWEEP-6',
    'jira-SWEEP-7',
    'jira-SWEEP-8',
    'jira-SWEEP-9',
    'jira-SWEEP-10',
    'jira-SWEEP-11',
    'jira-SWEEP-12',
    'generic-SWEEP-1',
    'servicenow-CHG0000001',
  ];
  for (const ticket of wouldBe)
    await expect(env.h.ceremonies.status(`ceremony-${ticket}`)).rejects.toThrow(/no ceremony/);
  expect(env.sim.appliance.state.read().audit).toEqual([]);
  expect(env.sim.backup.state.read().audit).toEqual([]);
  expect(env.h.outbox().filter((m) => m.kind !== 'approval-requested')).toEqual([]);
});
