import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLedger } from '../../activities/ops/ledger';
import { exportCeremony } from '../../audit/tooling/export';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportHtml, reportMarkdown } from '../../audit/verifier/report';
import { CeremonyRefusal } from '../../client/ceremony-client';
import {
  APPROVERS,
  OPERATOR,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('intervention');
});
afterAll(async () => {
  await h?.stop();
});

/** A check that fails (non-retryable) until its precondition exists, then a device step. */
function planWithPrecondition(key: string) {
  return testPlan([
    { id: 'precondition', type: 'check', title: 'Precondition holds', op: 'ledger.require', args: { key } },
    record('after'),
  ]);
}

async function failedCeremony(key: string) {
  const id = await h.start(planWithPrecondition(key));
  const status = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'needs-intervention');
  expect(status.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(status.steps[0].error).toMatch(/^CheckFailed: ledger.require: check does not hold/);
  const alert = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'needs-intervention');
  expect(alert?.to).toEqual([OPERATOR]);
  return id;
}

test('after an intervention, retry runs the failed step again and the ceremony completes', async () => {
  const key = `flag-${Date.now()}`;
  const id = await failedCeremony(key);

  // only operators resolve, with a reason, and only while an intervention is pending
  await expect(h.ceremonies.resolve(id, { action: 'retry', by: APPROVERS[0], reason: 'x' })).rejects.toThrow(
    /is not an operator/,
  );
  await expect(h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: '' })).rejects.toThrow(/reason/);
  expect((await h.ceremonies.status(id)).phase).toBe('needs-intervention');

  await appendLedger(h.ledgerPath, {
    ceremonyId: 'operator-fix',
    key,
    stepId: 'manual',
    at: new Date().toISOString(),
    pid: 0,
  });
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'precondition restored by hand' });

  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps[0]).toMatchObject({ status: 'succeeded', attempts: 2, evidence: { outcome: 'checked' } });
  expect(final.steps[0].error).toBeUndefined();
  const timeline = await h.ceremonies.timeline(id);
  expect(timeline.find((e) => e.type === 'intervention')).toMatchObject({
    actor: OPERATOR,
    detail: 'retry: precondition restored by hand (signed by operator@example.com via cli)',
  });
  await expect(h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'again' })).rejects.toThrow(
    CeremonyRefusal,
  );

  // the auditor's report shows the failed attempt (its error) and who resolved it, and why
  const file = join(mkdtempSync(join(tmpdir(), 'intervention-report-')), 'history.json');
  await exportCeremony(h.ceremonies, id, file, { server: 'test' });
  const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))));
  for (const report of [reportMarkdown(events, undefined), reportHtml(events, undefined)]) {
    expect(report).toContain('reported step precondition failed');
    expect(report).toMatch(/CheckFailed: ledger\.require: check does not hold/);
    expect(report).toContain('chose retry');
    expect(report).toContain(OPERATOR);
    expect(report).toContain('precondition restored by hand');
  }
});

test('after an intervention, abort ends the ceremony and no later step runs', async () => {
  const id = await failedCeremony(`missing-${Date.now()}`);
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'not today' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('aborted');
  expect(final.steps.map((s) => s.status)).toEqual(['aborted', 'pending']);
  expect((await h.ledger()).filter((e) => e.ceremonyId === id)).toEqual([]);
});

test('resolve is refused when nothing waits for an intervention', async () => {
  const id = await h.start(testPlan([{ id: 'pause', type: 'wait', title: 'Pause', duration: '1m' }]));
  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'waiting');
  await expect(h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'x' })).rejects.toThrow(
    /is waiting, not waiting for an intervention/,
  );
  await h.ceremonies.cancel(id, { by: OPERATOR, reason: 'test done' });
  expect((await result(h.ceremonies, id)).phase).toBe('cancelled');
});
