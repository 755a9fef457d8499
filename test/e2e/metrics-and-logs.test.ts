import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { CeremonyMetrics } from '../../web/ceremony-metrics';
import { serveMetrics } from '../../web/metrics-server';
import { buildWebServer } from '../../web/server';
import { signBody } from '../../web/webhooks';
import { parseLinkKeys, newLinkKeyEntry } from '../../ceremonies/approval-links';
import {
  APPROVERS,
  gate,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';
import { freePort } from '../support/free-port';
import { keyring } from '../support/people';
import { spawnWorker } from '../support/worker-process';
import type { WorkerProcess } from '../../worker/process';

// The worker as production runs it (its own process: the SDK's Prometheus endpoint is per
// process), the web app's /metrics, and a gated rehearsal between two scrapes of each.

let h: Harness;
let worker: WorkerProcess;
let workerMetricsUrl: string;
let workerOutput = '';
let web: FastifyInstance;
let webBase: string;
let metricsServer: Server;
let webMetricsUrl: string;

beforeAll(async () => {
  h = await startHarness('metrics', { worker: false });
  const address = `127.0.0.1:${await freePort()}`; // the SDK cannot bind port 0 and tell us which
  workerMetricsUrl = `http://${address}/metrics`;
  worker = spawnWorker(
    { ...h.config, WORKER_METRICS_ADDRESS: address, CEREMONY_WORKFLOW_BUNDLE: process.env.CEREMONY_WORKFLOW_BUNDLE },
    { engine: true },
  );
  worker.child.stdout!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  await worker.ready;
  const metrics = new CeremonyMetrics({ ceremonies: h.ceremonies }, 200);
  ({ url: webMetricsUrl, server: metricsServer } = await serveMetrics(metrics, '127.0.0.1:0'));
  web = await buildWebServer({
    ceremonies: h.ceremonies,
    linkKeys: parseLinkKeys(newLinkKeyEntry('k1')),
    attestation: keyring.attestation,
    webhooks: {
      secrets: { generic: 'webhook-secret' },
      inventory: () => {
        throw new Error('not reached: the signature is refused first');
      },
    },
    refusals: metrics,
  });
  webBase = await web.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  metricsServer?.close();
  await web?.close();
  if (worker) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await h?.stop();
});

/** Prometheus text format: the value of the series named with these labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const total = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === name)
    .filter((m) => Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`)))
    .reduce((sum, m) => sum + Number(m[3]), 0);
  return total;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

test('both endpoints serve metrics that move when a gated ceremony runs; the worker logs JSON lines naming ceremony, step and operation', async () => {
  const workerBefore = await scrape(workerMetricsUrl);
  const webBefore = await scrape(webMetricsUrl);

  const plan = testPlan([gate(), record('effect')]);
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const awaiting = async () =>
    sample(await scrape(webMetricsUrl), 'ceremonies', { kind: 'rehearsal', phase: 'awaiting-approval' });
  for (let i = 0; i < 50 && (await awaiting()) < 1; i++) await new Promise((r) => setTimeout(r, 250));
  expect(await awaiting()).toBeGreaterThanOrEqual(1);

  await h.ceremonies.approve(id, { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest }); // the person's own key: via cli
  await h.ceremonies.approve(
    id,
    { gate: 'approve', approver: APPROVERS[1], planDigest: open.planDigest },
    keyring.attestation,
  ); // the web app's: via email-link
  expect((await result(h.ceremonies, id)).phase).toBe('completed');

  // what the web app counts itself: a forged link, a webhook with a wrong signature
  expect((await fetch(`${webBase}/decide/not-a-token`)).status).toBe(400);
  const body = JSON.stringify({ ticket: 'T-1', kind: 'rehearsal', hsm: 'hsm-test', requester: 'x@example.com' });
  const hook = await fetch(`${webBase}/webhooks/tickets/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature-256': signBody('wrong', body) },
    body,
  });
  expect(hook.status).toBe(401);

  // ended ceremonies are read from their history at the next refresh (visibility lags a little)
  const ended = async () =>
    sample(await scrape(webMetricsUrl), 'ceremony_ended_total', { kind: 'rehearsal', phase: 'completed' });
  for (let i = 0; i < 60 && (await ended()) < 1; i++) await new Promise((r) => setTimeout(r, 250));
  const webAfter = await scrape(webMetricsUrl);
  const moved = (name: string, labels: Record<string, string> = {}) =>
    sample(webAfter, name, labels) - sample(webBefore, name, labels);
  expect(moved('ceremony_ended_total', { kind: 'rehearsal', phase: 'completed' })).toBeGreaterThanOrEqual(1);
  expect(sample(webAfter, 'ceremonies', { kind: 'rehearsal', phase: 'completed' })).toBeGreaterThanOrEqual(1);
  expect(moved('ceremony_decisions_total', { decision: 'approve', via: 'cli' })).toBeGreaterThanOrEqual(1);
  expect(moved('ceremony_decisions_total', { decision: 'approve', via: 'email-link' })).toBeGreaterThanOrEqual(1);
  expect(
    moved('ceremony_gate_wait_seconds_count', { kind: 'rehearsal', gate_type: 'approval', outcome: 'succeeded' }),
  ).toBeGreaterThanOrEqual(1);
  expect(
    moved('ceremony_step_duration_seconds_count', { operation: 'ledger.record', outcome: 'completed' }),
  ).toBeGreaterThanOrEqual(1);
  expect(moved('ceremony_deliveries_total', { channel: 'notification', outcome: 'completed' })).toBeGreaterThanOrEqual(
    1,
  );
  expect(moved('ceremony_link_refusals_total', { reason: 'malformed' })).toBe(1);
  expect(moved('ceremony_webhook_refusals_total', { system: 'generic', reason: 'bad-signature' })).toBe(1);

  // the SDK's own metrics of the worker process
  const workerAfter = await scrape(workerMetricsUrl);
  const sdk = (text: string, name: string) => sample(text, name, { task_queue: h.config.TEMPORAL_TASK_QUEUE });
  expect(
    sdk(workerAfter, 'temporal_workflow_completed_total') - sdk(workerBefore, 'temporal_workflow_completed_total'),
  ).toBe(1);
  expect(
    sdk(workerAfter, 'temporal_activity_execution_latency_count') -
      sdk(workerBefore, 'temporal_activity_execution_latency_count'),
  ).toBeGreaterThanOrEqual(2);

  // the dashboard shows what the endpoints serve: every metric it names is in one of the scrapes
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'deploy', 'grafana', 'ceremonies.json'), 'utf8'),
  ) as { panels: { targets?: { expr: string }[] }[] };
  const named = new Set(
    dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .flatMap((t) => t.expr.match(/\b(?:ceremon|temporal_)[a-z_]+/g) ?? []),
  );
  const served = `${webAfter}\n${workerAfter}`;
  // the SDK exports a failure counter from the first failure on: none failed here
  const onlyAfterAFailure = ['temporal_workflow_failed_total', 'temporal_activity_execution_failed_total'];
  expect(
    [...named].filter(
      (name) => !onlyAfterAFailure.includes(name) && !new RegExp(`^(# TYPE )?${name}[ {]`, 'm').test(served),
    ),
  ).toEqual([]);

  // logs: JSON lines; the activity's lines carry our ceremony id, step and operation
  const lines = workerOutput
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`the worker logged a line that is not JSON: ${l}`);
      }
    });
  const stepLine = lines.find((l) => l.msg === 'operation done' && l.workflowId === id);
  expect(stepLine).toMatchObject({
    ceremonyId: id,
    step: 'effect',
    op: 'ledger.record',
    activityType: 'ledger.record',
    outcome: 'applied',
  });
  expect(lines.find((l) => l.msg === 'notification sent' && l.ceremonyId === id)).toMatchObject({
    op: 'notify',
    step: 'approve',
  });
});
