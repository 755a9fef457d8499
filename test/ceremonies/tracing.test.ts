import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { commandName } from '../../activities/device/luna-shell';
import { loadInventory } from '../../ceremonies/inventory';
import { createLogger } from '../../runtime/logger';
import { inSpan } from '../../runtime/spans';
import { flushTracing, stopTracing } from '../../runtime/tracing';
import { TRACE_HEADER } from '../../contract/tracing';
import { buildWebServer } from '../../web/server';
import { SIGNATURE_HEADER, signBody } from '../../web/webhooks';
import { REQUESTER, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { driveGates } from '../support/drive';
import { SECRETS } from '../support/simulated-hsm';

// Traces, as an operator turns them on (OTEL_EXPORTER_OTLP_ENDPOINT) and a collector receives them
// (OTLP/HTTP, JSON): one trace per ceremony start, from the ticket webhook (a rehearsal) or the
// client call the CLI makes (hsm-init on the simulator), through the workflow and its activities
// to each device command, named by its command words only; no secret in any span.

const WEBHOOK_SECRET = 'generic-webhook-secret-trace-5e1d';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpRequest {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** A stand-in collector: what the exporter POSTs to /v1/traces, as it sent it. */
let receiver: Server;
const bodies: string[] = [];
let env: CeremonyEnv;
let web: FastifyInstance;
let webUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;

  env = await startCeremonyEnv('tracing', {
    generatedTenantadminPassword: true,
    config: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'hsm-ceremonies-test' },
  });
  web = await buildWebServer({
    ceremonies: env.h.ceremonies,
    webhooks: { secrets: { generic: WEBHOOK_SECRET }, inventory: () => loadInventory(env.sim.inventoryPath) },
  });
  webUrl = await web.listen({ host: '127.0.0.1', port: 0 });
}, 180_000);

afterAll(async () => {
  await web?.close();
  await env?.close();
  await stopTracing();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

/** Every span the collector has received, once what the process buffered is sent. */
async function received(): Promise<OtlpSpan[]> {
  await flushTracing();
  return bodies.flatMap((b) =>
    (JSON.parse(b) as OtlpRequest).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  );
}

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

/** The trace of a ceremony: the one its `ceremony start` span is in, checked to be one tree. */
async function traceOf(ceremonyId: string): Promise<{ root: OtlpSpan; spans: OtlpSpan[] }> {
  await env.h.ceremonies.handle(ceremonyId).result(); // its workflow's own span ends with it
  const all = await received();
  const starts = all.filter((s) => s.name === 'ceremony start' && attribute(s, 'ceremony.id') === ceremonyId);
  expect(starts).toHaveLength(1);
  const spans = all.filter((s) => s.traceId === starts[0].traceId);
  const ids = new Set(spans.map((s) => s.spanId));
  const roots = spans.filter((s) => !s.parentSpanId);
  expect(roots).toHaveLength(1);
  // every other span hangs from a span of the same trace: the context went all the way down
  expect(spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);
  return { root: roots[0], spans };
}

const parentOf = (span: OtlpSpan, spans: OtlpSpan[]) => spans.find((s) => s.spanId === span.parentSpanId);
const DEVICE_SPAN = /^(lunash|lunacm|shell|ssh|scp) /;

test('a rehearsal from a ticket webhook is one trace: webhook, start, workflow, its activities', async () => {
  const body = JSON.stringify({
    ticket: `TRACE-${Date.now().toString(36)}`,
    kind: 'rehearsal',
    hsm: 'hsm-sim-1',
    requester: REQUESTER,
    params: {},
  });
  const res = await fetch(`${webUrl}/webhooks/tickets/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER.generic]: signBody(WEBHOOK_SECRET, body) },
    body,
  });
  expect(res.status).toBe(201);
  const { ceremonyId } = (await res.json()) as { ceremonyId: string };
  expect((await driveGates(env.h.ceremonies, ceremonyId)).phase).toBe('completed');

  const { root, spans } = await traceOf(ceremonyId);
  expect(root).toMatchObject({ name: 'ticket webhook' });
  expect(attribute(root, 'ticket.system')).toBe('generic');
  const named = (name: string) => spans.filter((s) => s.name === name);
  expect(parentOf(named('ceremony start')[0], spans)?.name).toBe('ticket webhook');
  expect(parentOf(named('StartWorkflow:ceremonyWorkflow')[0], spans)?.name).toBe('ceremony start');
  expect(parentOf(named('RunWorkflow:ceremonyWorkflow')[0], spans)?.name).toBe('StartWorkflow:ceremonyWorkflow');
  // each step's activity: scheduled in the workflow's span, run in the worker under it
  const run = spans.filter((s) => s.name.startsWith('RunActivity:'));
  expect(run.length).toBeGreaterThan(1);
  for (const activity of run) {
    expect(parentOf(activity, spans)?.name).toBe(activity.name.replace('RunActivity:', 'StartActivity:'));
    expect(attribute(activity, 'temporalWorkflowId')).toBe(ceremonyId);
  }
  // each workflow task, with what woke the workflow: its start, the approvals (updates, each with
  // its own span, linked to the approver's call), the activities' results, the settle timer
  const tasks = named('WorkflowTask');
  expect(tasks.every((t) => parentOf(t, spans)?.name === 'RunWorkflow:ceremonyWorkflow')).toBe(true);
  const woken = new Set(tasks.flatMap((t) => (attribute(t, 'temporal.jobs') ?? '').split(',')));
  expect([...woken]).toEqual(
    expect.arrayContaining(['initializeWorkflow', 'doUpdate', 'resolveActivity', 'fireTimer']),
  );
  const updates = named('HandleUpdate:approve');
  expect(updates.length).toBeGreaterThanOrEqual(2);
  for (const update of updates) expect(update.links).toHaveLength(1);
  // a rehearsal's steps write to the ledger: no device command
  expect(spans.filter((s) => DEVICE_SPAN.test(s.name))).toEqual([]);
}, 120_000);

test('an hsm-init on the simulator is one trace down to each device command, named by its words only, and no secret is in any span', async () => {
  const { sim, h } = env;
  const id = await env.start('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9' });
  expect((await driveGates(h.ceremonies, id)).phase).toBe('completed');

  const { root, spans } = await traceOf(id);
  expect(root.name).toBe('ceremony start');
  const device = spans.filter((s) => DEVICE_SPAN.test(s.name));
  // each command the appliance ran has its span, named by the command's words, in an activity's span
  const commands = sim.appliance.state
    .read()
    .audit.map((a) => a.command)
    .filter((c) => !c.startsWith('('));
  expect(commands).toEqual(expect.arrayContaining(['hsm init -label HSM1']));
  for (const command of new Set(commands.map((c) => `lunash ${commandName(c)}`)))
    expect({ command, traced: device.some((s) => s.name === command) }).toEqual({ command, traced: true });
  expect(device.map((s) => s.name)).toEqual(
    expect.arrayContaining(['ssh login', 'lunash hsm init', 'lunash hsm show']),
  );
  for (const span of device) {
    expect(span.name).toMatch(/^(lunash|lunacm|shell|ssh|scp)( [A-Za-z]+){1,3}$/);
    expect(span.attributes.map((a) => a.key).filter((k) => k !== 'error.type')).toEqual(['device.address']);
    // under its activity's span (a device step's activity, or a local one's)
    let up = parentOf(span, spans);
    while (up && DEVICE_SPAN.test(up.name)) up = parentOf(up, spans);
    expect(up?.name).toMatch(/^RunActivity:/);
  }

  // nothing the run used as a secret is in what the collector received: names, attributes, events
  const generated = readFileSync(sim.tenantadminSecretFile, 'utf8').trim();
  expect(generated.length).toBeGreaterThan(8);
  const everything = bodies.join('\n');
  for (const secret of [...Object.values(SECRETS), generated, WEBHOOK_SECRET])
    expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
  // the history recorded with tracing replays (`audit verify`), as one recorded without does
  await env.expectNoSecretsInHistory(id, [generated]);
}, 180_000);

test("the workflow reads the trace context from the header the package's client interceptor writes", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(TRACE_HEADER).toBe(require('@temporalio/interceptors-opentelemetry/lib/instrumentation').TRACE_HEADER);
});

test('a JSON log line written in a span carries its trace and span id; outside one, none', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    'tracing-test',
    'info',
    'json',
    {},
    { write: (l: string) => void lines.push(JSON.parse(l)) },
  );
  log.info('outside');
  await inSpan('log line', {}, async () => {
    log.info('inside');
    const span = trace.getActiveSpan()!.spanContext();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]).toMatchObject({ msg: 'inside', trace_id: span.traceId, span_id: span.spanId });
  });
  expect(lines[0]).toMatchObject({ msg: 'outside' });
  expect(lines[0]).not.toHaveProperty('trace_id');
});

test('a command span is named by the words before the first option or value, never an argument', () => {
  expect(commandName('hsm show')).toBe('hsm show');
  expect(commandName('hsm init -label HSM1 -password Hsm-SO-Secret')).toBe('hsm init');
  expect(commandName('role login -name so -password secret')).toBe('role login');
  expect(commandName('package verify update.spkg -authcode ABCD')).toBe('package verify');
  expect(commandName('sysconf appliance reboot -force')).toBe('sysconf appliance reboot');
  expect(commandName('partition archive backup restore more')).toBe('partition archive backup');
  expect(commandName('user password hunter', new Set(['hunter']))).toBe('user password');
  expect(commandName('-force')).toBe('(unnamed)');
});
