import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { appendLedger } from '../../activities/ops/ledger';
import { exportCeremony, manifestPath, sha256Hex } from '../../audit/tooling/export';
import { auditEvents } from '../../audit/verifier/history';
import { loadTrustAnchor } from '../../audit/verifier/trust-anchor';
import { verifyHistories } from '../../audit/tooling/verify';
import { gatePoint, interventionPoint, runChallenge, type DecisionFields } from '../../ceremonies/decision-signature';
import { cli } from '../support/cli';
import {
  APPROVERS,
  OPERATOR,
  REQUESTER,
  gate,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';
import { keyFile, keyring } from '../support/people';

// Every state change is signed and bound to its run: approvals replayed into a new run of the
// same ceremony id, and resolve/cancel without the person's key, are refused and change nothing.

let h: Harness;
const bundle = { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE };
beforeAll(async () => {
  h = await startHarness('bound-to-run');
  process.env.TEMPORAL_ADDRESS = h.config.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_TASK_QUEUE = h.config.TEMPORAL_TASK_QUEUE;
  process.env.CEREMONY_INVENTORY = h.config.CEREMONY_INVENTORY;
  delete process.env.CEREMONY_SIGNING_KEY;
});
afterAll(async () => {
  await h?.stop();
});

const MALLORY = 'mallory@example.com';
/** A raw Temporal client, as anyone who reaches the frontend has. */
const raw = (id: string, runId?: string) => h.ceremonies.client.workflow.getHandle(id, runId);
const refusalOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    return err instanceof WorkflowUpdateFailedError ? `${err.cause?.message}` : (err as Error).message;
  }
  throw new Error('not refused');
};

/** What a refused request must leave as it was. */
async function snapshot(id: string) {
  const s = await h.ceremonies.status(id);
  return {
    phase: s.phase,
    decisions: s.decisions.length,
    steps: s.steps.map((x) => `${x.id}:${x.status}:${x.attempts}`),
    ledger: (await h.ledger()).filter((e) => e.ceremonyId === id).length,
    cancellable: s.cancellable,
  };
}

/** Fields signed by `key` for `actor`, as a forger would assemble them. */
function signedBy(key: string, fields: Omit<DecisionFields, 'nonce' | 'at'>) {
  const full = {
    ...fields,
    nonce: `n-${Math.random().toString(36).slice(2)}-${Date.now()}`,
    at: new Date().toISOString(),
  };
  return {
    nonce: full.nonce,
    at: full.at,
    signature: keyring.signer(key).sign(full),
    ...(fields.challenge ? { challenge: fields.challenge } : {}),
  };
}

/** A copy of an export with the first `update`'s arguments edited, its manifest's hash made to
 * match (an unsigned manifest: only the history can tell). */
function forged(
  file: string,
  update: string,
  edit: (args: Record<string, unknown>) => Record<string, unknown>,
): string {
  const history = JSON.parse(readFileSync(file, 'utf8'));
  const event = history.events.find(
    (e: any) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === update,
  );
  const payload = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads[0];
  payload.data = Buffer.from(JSON.stringify(edit(JSON.parse(Buffer.from(payload.data, 'base64').toString())))).toString(
    'base64',
  );
  const out = join(mkdtempSync(join(tmpdir(), 'forged-')), file.split('/').pop()!);
  const text = JSON.stringify(history);
  writeFileSync(out, text);
  writeFileSync(
    manifestPath(out),
    JSON.stringify({ ...JSON.parse(readFileSync(manifestPath(file), 'utf8')), historySha256: sha256Hex(text) }),
  );
  return out;
}

async function failedCeremony(key: string): Promise<string> {
  const id = await h.start(
    testPlan([
      { id: 'precondition', type: 'check', title: 'Precondition holds', op: 'ledger.require', args: { key } },
      record('after'),
    ]),
  );
  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'needs-intervention');
  return id;
}

test('approvals recorded in a closed run, replayed into a new run of the same id and plan, are refused: no step runs', async () => {
  const plan = testPlan([gate(), record('effect')]);
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  expect(open.openGate?.challenge).toMatch(/^[0-9a-f]{32}$/);
  for (const a of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: open.planDigest });
  const first = await result(h.ceremonies, id);
  expect(first.phase).toBe('completed');
  expect(first.decisions.map((d) => d.challenge)).toEqual([open.openGate!.challenge, open.openGate!.challenge]);
  const events = await auditEvents(await raw(id).fetchHistory());
  const recorded = events.filter((e) => e.update?.name === 'approve').map((e) => e.update!.args[0]);
  expect(recorded).toHaveLength(2);
  const ledgerBefore = (await h.ledger()).length;
  const file = join(mkdtempSync(join(tmpdir(), 'bound-first-')), `${id}.json`);
  await exportCeremony(h.ceremonies, id, file, { server: 'test' }); // the first run, before another exists

  // the CLI: the ticket already ran its ceremony
  const again = await cli('start', 'rehearsal', '--hsm', 'hsm-test', '--ticket', plan.ticket, '--requester', REQUESTER);
  expect(again.code).not.toBe(0);

  // a direct Temporal client: a new run, same id and plan, a reuse policy that allows it
  const second = await h.ceremonies.client.workflow.start('ceremonyWorkflow', {
    workflowId: id,
    taskQueue: h.config.TEMPORAL_TASK_QUEUE,
    args: [{ plan }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  for (const approval of recorded)
    await expect(raw(id, second.firstExecutionRunId).executeUpdate('approve', { args: [approval] })).rejects.toThrow();
  const outcome = (await raw(id, second.firstExecutionRunId).result()) as Awaited<ReturnType<typeof result>>;
  expect(outcome.phase).toBe('refused');
  expect(outcome.refusal).toMatch(
    new RegExp(`ceremony id ${id} has run before \\(run \\S+, completed\\): a ceremony id never starts again`),
  );
  expect(outcome.decisions).toEqual([]);
  expect(outcome.steps.map((s) => s.status)).toEqual(['skipped', 'skipped']);
  expect((await h.ledger()).length).toBe(ledgerBefore);

  // the auditor: an approval in the first run's history replaced by one alice signed over another
  // run's challenge (a valid signature, by her key) is not bound to this run, and does not count
  const elsewhere = runChallenge('01900000-0000-7000-8000-000000000000', gatePoint('approve'));
  const moved = forged(file, 'approve', (a) => ({
    ...a,
    ...signedBy(String(a.approver), {
      ceremonyId: id,
      gate: 'approve',
      planDigest: String(a.planDigest),
      decision: 'approve',
      actor: String(a.approver),
      text: '',
      challenge: elsewhere,
    }),
  }));
  const [r] = await verifyHistories([moved], { ...bundle, replay: 'none' });
  expect(r.violations.map((v) => v.invariant)).toEqual(['decisions-signed', 'quorum-before-gated-steps']);
  expect(r.violations[0].detail).toMatch(
    /approve by alice@example.com on gate approve is not bound to this run: the signature covers challenge \w+…, but the gate "approve" opened in this run with challenge \w+…/,
  );
});

test("a Temporal reset of a completed ceremony replays its approvals without their validators: they are not this run's, and no step runs on them", async () => {
  const id = await h.start(testPlan([gate(), record('first'), record('second')]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const a of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: open.planDigest });
  expect((await result(h.ceremonies, id)).phase).toBe('completed');
  const first = await raw(id).describe();
  const history = await raw(id).fetchHistory();
  const events = history.events ?? [];
  // reset to the workflow task that scheduled the second step: the approvals are kept in the new
  // run, the second step's scheduling is not
  const scheduled = events.filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ledger.record',
  );
  expect(scheduled).toHaveLength(2);
  const taskEvent = scheduled[1].activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId!;
  const taskOf = Number(taskEvent);
  const reset: { runId?: string | null } = await h.ceremonies.client.workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: id, runId: first.runId },
    workflowTaskFinishEventId: taskEvent,
    requestId: `reset-${id}`,
    reason: 'an attacker who reaches the frontend',
  });
  const resetRun = raw(id, reset.runId!);
  // give the worker time to run the reset run's workflow tasks
  await new Promise((r) => setTimeout(r, 4000));
  const after = ((await resetRun.fetchHistory()).events ?? []).filter((e) => Number(e.eventId) > taskOf);
  expect(after.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ledger.record')).toEqual(
    [],
  );
  expect(after.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(false);
  await resetRun.terminate('test over');
});

test("a decision signed over another run's challenge, or over none (v1), is refused at an open gate and changes nothing", async () => {
  const id = await h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const before = await snapshot(id);
  const base = {
    ceremonyId: id,
    gate: 'approve',
    planDigest: open.planDigest,
    decision: 'approve' as const,
    actor: APPROVERS[0],
    text: '',
  };
  const elsewhere = runChallenge('01900000-0000-7000-8000-000000000000', gatePoint('approve'));
  const otherRun = {
    gate: 'approve',
    approver: APPROVERS[0],
    planDigest: open.planDigest,
    ...signedBy(APPROVERS[0], { ...base, challenge: elsewhere }),
  };
  expect(await refusalOf(raw(id).executeUpdate('approve', { args: [otherRun] }))).toMatch(
    /the signature covers challenge \w+…, but the gate "approve" opened in this run with challenge \w+…: it was signed for another run/,
  );
  const v1 = { gate: 'approve', approver: APPROVERS[0], planDigest: open.planDigest, ...signedBy(APPROVERS[0], base) };
  expect(await refusalOf(raw(id).executeUpdate('approve', { args: [v1] }))).toMatch(/covers none \(a v1 signature\)/);
  expect(await snapshot(id)).toEqual(before);
  await h.ceremonies.cancel(id, { by: REQUESTER, reason: 'test done' });
});

test("resolve with no key, a wrong key, another person's key or another intervention's challenge is refused and changes nothing; a signed retry works and names its signer", async () => {
  const key = `flag-${Date.now()}`;
  const id = await failedCeremony(key);
  const status = await h.ceremonies.status(id);
  expect(status.intervention).toEqual({ step: 'precondition', challenge: expect.stringMatching(/^[0-9a-f]{32}$/) });
  const before = await snapshot(id);
  const base = {
    ceremonyId: id,
    gate: 'precondition',
    planDigest: status.planDigest,
    decision: 'retry' as const,
    actor: OPERATOR,
    text: 'x',
    challenge: status.intervention!.challenge,
  };
  const input = (signer: string, fields = base) => ({
    action: 'retry',
    step: 'precondition',
    by: OPERATOR,
    reason: 'x',
    planDigest: status.planDigest,
    ...signedBy(signer, fields),
  });

  // a direct Temporal client
  expect(
    await refusalOf(raw(id).executeUpdate('resolve', { args: [{ action: 'retry', by: OPERATOR, reason: 'x' }] })),
  ).toMatch(/a resolve must be signed by operator@example.com, as decisions are .*: this one carries no signature/);
  expect(await refusalOf(raw(id).executeUpdate('resolve', { args: [input(MALLORY)] }))).toMatch(
    /the resolve is signed with a key that is neither operator@example.com's nor the web app's/,
  );
  expect(await refusalOf(raw(id).executeUpdate('resolve', { args: [input(APPROVERS[0])] }))).toMatch(
    /neither operator@example.com's nor the web app's/,
  );
  expect(
    await refusalOf(
      raw(id).executeUpdate('resolve', {
        args: [input(OPERATOR, { ...base, challenge: runChallenge('another-run', interventionPoint(1)) })],
      }),
    ),
  ).toMatch(/signed for another run or another opening/);
  expect(
    await refusalOf(raw(id).executeUpdate('resolve', { args: [{ ...input(OPERATOR), action: 'abort' }] })),
  ).toMatch(/the signature does not match the resolve/);
  // the client with someone else's key
  expect(
    await refusalOf(h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'x' }, keyring.signer(MALLORY))),
  ).toMatch(/neither operator@example.com's nor the web app's/);
  // the CLI: no key, a wrong key, another person's key
  const cliResolve = (...extra: string[]) =>
    cli('resolve', id, '--action', 'retry', '--as', OPERATOR, '--reason', 'fixed', ...extra);
  const noKey = await cliResolve();
  expect(noKey.code).not.toBe(0);
  expect(noKey.err).toMatch(/--key/);
  for (const who of [MALLORY, APPROVERS[1]]) {
    const wrong = await cliResolve('--key', keyFile(who));
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toMatch(/neither operator@example.com's nor the web app's/);
  }
  expect(await snapshot(id)).toEqual(before);

  await appendLedger(h.ledgerPath, {
    ceremonyId: 'operator-fix',
    key,
    stepId: 'manual',
    at: new Date().toISOString(),
    pid: 0,
  });
  const ok = await cliResolve('--key', keyFile(OPERATOR));
  expect(ok).toMatchObject({ code: 0, err: '' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.timeline.find((e) => e.type === 'intervention')).toMatchObject({
    actor: OPERATOR,
    detail: 'retry: fixed (signed by operator@example.com via cli)',
  });
  expect(final.timeline.find((e) => e.type === 'step-failed')?.detail).toContain(
    `challenge ${status.intervention!.challenge}`,
  );

  // the auditor: the signed resolve holds; a forged one (edited reason, removed signature, an
  // outsider's key) fails its check
  const dir = mkdtempSync(join(tmpdir(), 'bound-audit-'));
  const file = join(dir, `${id}.json`);
  await exportCeremony(h.ceremonies, id, file, { server: 'test' });
  const [clean] = await verifyHistories([file], bundle);
  expect(clean.violations).toEqual([]);
  expect(clean.checks.find((c) => c.check === 'resolve and cancel signatures')?.status).toBe('held');
  const forge = (edit: (args: Record<string, unknown>) => Record<string, unknown>) => forged(file, 'resolve', edit);
  const forgeries = [
    [
      forge((a) => ({ ...a, reason: 'someone else decided this' })),
      /resolve \(retry\) by operator@example.com has a signature that does not match it/,
    ],
    [
      forge(({ signature, nonce, at, planDigest, challenge, step, ...rest }) => rest),
      /resolve \(retry\) by operator@example.com carries no signature/,
    ],
    [
      forge((a) => ({ ...a, ...input(MALLORY, { ...base, text: String(a.reason) }) })),
      /is signed with a key that is neither operator@example.com's nor the web app's/,
    ],
    // signed with the requester's own key, over the right challenge: but the requester may not resolve
    [
      forge((a) => ({ ...a, ...input(REQUESTER, { ...base, actor: REQUESTER }), by: REQUESTER })),
      /^resolve \(retry\) by requester@example.com: not an operator in the recorded policy$/,
    ],
  ] as const;
  for (const [path, says] of forgeries) {
    const [r] = await verifyHistories([path], bundle);
    expect(r.ok).toBe(false);
    expect(r.violations.filter((v) => v.invariant === 'operator-actions-signed').map((v) => v.detail)).toEqual([
      expect.stringMatching(says),
    ]);
  }
  // a history from before the challenges (no CHALLENGE_PATCH marker) took resolve unsigned: not
  // proven, not failed (read without replay: the marker is what this copy is edited to lack)
  const unsignedOld = forge(({ signature, nonce, at, planDigest, challenge, step, ...rest }) => rest);
  const text = readFileSync(unsignedOld, 'utf8');
  const marker = Buffer.from(JSON.stringify({ id: 'run-challenges', deprecated: false })).toString('base64');
  expect(text).toContain(marker);
  const edited = text.replace(
    marker,
    Buffer.from(JSON.stringify({ id: 'some-other-patch', deprecated: false })).toString('base64'),
  );
  writeFileSync(unsignedOld, edited);
  writeFileSync(
    manifestPath(unsignedOld),
    JSON.stringify({
      ...JSON.parse(readFileSync(manifestPath(unsignedOld), 'utf8')),
      historySha256: sha256Hex(edited),
    }),
  );
  const [old] = await verifyHistories([unsignedOld], { ...bundle, replay: 'none' });
  expect(old.violations).toEqual([]);
  expect(old.checks.find((c) => c.check === 'resolve and cancel signatures')).toMatchObject({
    status: 'not-proven',
    detail: expect.stringMatching(/unsigned, recorded before resolve and cancel were signed/),
  });
  // the auditor who brings the keys takes no unsigned resolve, whatever the history says of its age
  const [anchored] = await verifyHistories([unsignedOld], {
    ...bundle,
    replay: 'none',
    trustAnchor: loadTrustAnchor(h.config.CEREMONY_INVENTORY),
  });
  expect(anchored.ok).toBe(false);
  expect(anchored.checks.find((c) => c.check === 'decision keys (trust anchor)')).toMatchObject({
    status: 'failed',
    detail: expect.stringMatching(/retry by operator@example.com \(event \d+\) is not signed: no key vouches for it/),
  });
});

test("cancel with no key, a wrong key or another person's key is refused and changes nothing; the requester's own signed cancel works", async () => {
  const id = await h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  expect(open.cancelChallenge).toMatch(/^[0-9a-f]{32}$/);
  const before = await snapshot(id);
  const base = {
    ceremonyId: id,
    gate: '',
    planDigest: open.planDigest,
    decision: 'cancel' as const,
    actor: REQUESTER,
    text: 'x',
    challenge: open.cancelChallenge,
  };
  const input = (signer: string) => ({
    by: REQUESTER,
    reason: 'x',
    planDigest: open.planDigest,
    ...signedBy(signer, base),
  });
  expect(await refusalOf(raw(id).executeUpdate('cancel', { args: [{ by: REQUESTER, reason: 'x' }] }))).toMatch(
    /a cancel must be signed by requester@example.com, as decisions are .*: this one carries no signature/,
  );
  expect(await refusalOf(raw(id).executeUpdate('cancel', { args: [input(MALLORY)] }))).toMatch(
    /the cancel is signed with a key that is neither requester@example.com's nor the web app's/,
  );
  expect(await refusalOf(raw(id).executeUpdate('cancel', { args: [input(OPERATOR)] }))).toMatch(
    /neither requester@example.com's nor the web app's/,
  );
  const noKey = await cli('cancel', id, '--as', REQUESTER, '--reason', 'window moved');
  expect(noKey.code).not.toBe(0);
  expect(noKey.err).toMatch(/--key/);
  const wrong = await cli('cancel', id, '--as', REQUESTER, '--reason', 'window moved', '--key', keyFile(APPROVERS[0]));
  expect(wrong.err).toMatch(/neither requester@example.com's nor the web app's/);
  expect(await snapshot(id)).toEqual(before);

  expect(
    await cli('cancel', id, '--as', REQUESTER, '--reason', 'window moved', '--key', keyFile(REQUESTER)),
  ).toMatchObject({ code: 0, err: '' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('cancelled');
  expect(final.timeline.find((e) => e.type === 'cancel-requested')).toMatchObject({
    actor: REQUESTER,
    detail: 'window moved (signed by requester@example.com via cli)',
  });
});
