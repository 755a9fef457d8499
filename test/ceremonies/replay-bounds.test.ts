import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { AesGcmCodec } from '../../runtime/codec';
import { replayHistories, type ReplayOutcome } from '../../audit/tooling/replay';
import { APPROVERS, gate, record, result, startHarness, testPlan, waitForStatus } from '../support/harness';

// Real replays, in the replay child (dist/audit/tooling/replay-child.js: run `npx tsc` first), of a
// history this file makes: a small rehearsal ceremony (gate 2 of 3, one ledger record).

type Event = Record<string, any>;
type History = { events: Event[] };

const root = join(__dirname, '..', '..');
const bundle = process.env.CEREMONY_WORKFLOW_BUNDLE!;
let workflowId: string;
let fresh: History;
const history = (): History => structuredClone(fresh);

beforeAll(async () => {
  const h = await startHarness('replay-bounds');
  try {
    workflowId = await h.start(testPlan([gate('approve'), record('effect')]));
    const { planDigest } = await waitForStatus(h.ceremonies, workflowId, (s) => s.phase === 'awaiting-approval');
    for (const approver of APPROVERS.slice(0, 2))
      await h.ceremonies.approve(workflowId, { gate: 'approve', approver, planDigest });
    expect((await result(h.ceremonies, workflowId)).phase).toBe('completed');
    fresh = JSON.parse(historyToJSON(await h.ceremonies.handle(workflowId).fetchHistory()));
  } finally {
    await h.stop();
  }
});

/** The history with one activity's type changed: the workflow code schedules another, a non-determinism. */
function nondeterministic(): History {
  const h = history();
  h.events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes.activityType.name =
    'notTheActivityTheCodeRuns';
  return h;
}
/** Only the WorkflowExecutionStarted event: well formed, but the replayer never finishes it. */
const loneStart = (): History => ({ events: [history().events[0]] });

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

test('the dist build this test needs is there', () => {
  expect(existsSync(join(root, 'dist', 'audit', 'tooling', 'replay-child.js'))).toBe(true);
});

test('a valid history replays with no error, twice in one batch', async () => {
  const outcomes = await replayHistories(
    [
      { workflowId, history: history() },
      { workflowId, history: history() },
    ],
    { workflowBundlePath: bundle },
  );
  expect(outcomes).toEqual([{ workflowId }, { workflowId }]);
});

test('malformed histories get their shape verdict at once, without a replay; the valid one between them replays', async () => {
  const afterClose = history();
  const last = afterClose.events.length;
  afterClose.events.push({
    ...structuredClone(afterClose.events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!),
    eventId: String(last + 1),
  });
  const gap = history();
  gap.events.splice(9, 1);
  const twoStarts = history();
  twoStarts.events.splice(1, 0, structuredClone(twoStarts.events[0]));
  twoStarts.events.forEach((e, i) => (e.eventId = String(i + 1)));

  const { value: outcomes, ms } = await timed(() =>
    replayHistories(
      [
        { workflowId: 'after-close', history: afterClose },
        { workflowId: 'gap', history: gap },
        { workflowId, history: history() },
        { workflowId: 'two-starts', history: twoStarts },
        { workflowId: 'empty', history: { events: [] } },
      ],
      { workflowBundlePath: bundle, timeLimitMs: 20_000 },
    ),
  );
  expect(outcomes.map((o) => o.kind)).toEqual(['shape', 'shape', undefined, 'shape', 'shape']);
  expect(outcomes[0].error).toBe(
    `the history is not well formed: event ${last + 1} (WorkflowExecutionUpdateAccepted) comes after the close event ${last} (WorkflowExecutionCompleted): nothing may follow the close event`,
  );
  expect(outcomes[1].error).toMatch(
    /^the history is not well formed: event 10 is missing: event 9 is followed by event 11(;|$)/,
  );
  expect(outcomes[2]).toEqual({ workflowId });
  expect(outcomes[3].error).toBe(
    'the history is not well formed: event 2 is a second WorkflowExecutionStarted event, after the first event',
  );
  expect(outcomes[4]).toEqual({
    workflowId: 'empty',
    kind: 'shape',
    problems: ['the history has no events'],
    error: 'the history is not well formed: the history has no events',
  });
  // far inside the 20 s limit: nothing waited for a stalled replay (the valid one is ~1 s with the child's start)
  expect(ms).toBeLessThan(10_000);
});

test('a well-formed history that stalls the replayer gets "did not finish within" and the histories after it still replay', async () => {
  const { value: outcomes, ms } = await timed(() =>
    replayHistories(
      [
        { workflowId: 'lone-start', history: loneStart() },
        { workflowId, history: history() },
        { workflowId: 'nondeterministic', history: nondeterministic() },
      ],
      { workflowBundlePath: bundle, timeLimitMs: 1500, onLog: () => {} },
    ),
  );
  expect(outcomes[0]).toEqual({
    workflowId: 'lone-start',
    kind: 'timeout',
    error: 'the replay did not finish within 1.5 s; the replayer was stopped',
  });
  expect(outcomes[1]).toEqual({ workflowId });
  expect(outcomes[2]).toMatchObject({
    kind: 'replay',
    error: expect.stringMatching(
      /^the current workflow code does not reproduce this history \(nondeterminism\): .*notTheActivityTheCodeRuns/,
    ),
  });
  expect(ms).toBeGreaterThanOrEqual(1500);
  expect(ms).toBeLessThan(15_000);
  // where the replayers' logs go (stderr, never stdout) is checked below on a real process
});

test('payloads encrypted by the codec replay with the data converter, and not without it', async () => {
  const codec = new AesGcmCodec([['k1', randomBytes(32)]]);
  const parsed = historyFromJSON(history());
  const payloads: Payload[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      if ('metadata' in v && 'data' in v) payloads.push(v as Payload);
      else Object.values(v).forEach(collect);
    }
  };
  collect(parsed.events);
  const encoded = await codec.encode(payloads);
  payloads.forEach((p, i) => Object.assign(p, { metadata: encoded[i].metadata, data: encoded[i].data }));
  const encrypted = JSON.parse(historyToJSON(parsed));
  expect(JSON.stringify(encrypted)).not.toContain(Buffer.from('"approver"').toString('base64').slice(0, 8));

  const [withKey, withoutKey] = await Promise.all([
    replayHistories([{ workflowId, history: encrypted }], {
      workflowBundlePath: bundle,
      dataConverter: { payloadCodecs: [codec] },
    }),
    replayHistories([{ workflowId, history: encrypted }], { workflowBundlePath: bundle, onLog: () => {} }),
  ]);
  expect(withKey).toEqual([{ workflowId }]);
  expect(withoutKey[0].kind).toBe('replay');
  const [wrongKey] = await replayHistories([{ workflowId, history: encrypted }], {
    workflowBundlePath: bundle,
    dataConverter: { payloadCodecs: [new AesGcmCodec([['k2', randomBytes(32)]])] },
  });
  expect(wrongKey).toMatchObject({
    kind: 'decode',
    error: 'the history\'s payloads cannot be decoded: payload encrypted with key "k1", which is not configured',
  });
});

/** Run `node -e script` with the file's histories; resolves when it exits (or rejects after `ms`). */
function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  ms: number,
): Promise<{ code: number | null; stdout: string; stderr: string; elapsed: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms (the process did not exit); stdout: ${stdout.slice(0, 500)}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsed: Date.now() - t0 });
    });
  });
}

test('a process that replays a stalling and a failing history exits by itself, and its stdout is only what it printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-bounds-'));
  const input = join(dir, 'items.json');
  writeFileSync(
    input,
    JSON.stringify([
      { workflowId: 'lone-start', history: loneStart() },
      { workflowId: 'nondeterministic', history: nondeterministic() },
      { workflowId, history: history() },
    ]),
  );
  const script = `
    const { replayHistories } = require('./dist/audit/tooling/replay.js');
    const items = JSON.parse(require('node:fs').readFileSync(process.env.ITEMS, 'utf8'));
    replayHistories(items, { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE, timeLimitMs: 1500 })
      .then((outcomes) => process.stdout.write(JSON.stringify(outcomes)));`;
  const run = await runNode(['-e', script], { ITEMS: input }, 30_000);
  expect(run.code).toBe(0);
  const outcomes: ReplayOutcome[] = JSON.parse(run.stdout); // all of stdout: nothing else was written there
  expect(outcomes.map((o) => o.kind)).toEqual(['timeout', 'replay', undefined]);
  expect(run.stderr).toMatch(/\[replay core\] WARN Failing workflow task/);
});

test('`ceremony --json audit verify` on a history that fails its replay: stdout is the JSON and nothing else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-bounds-cli-'));
  const file = join(dir, `${workflowId}.json`);
  writeFileSync(file, JSON.stringify(nondeterministic()));
  const run = await runNode(
    [join(root, 'dist', 'cli', 'main.js'), '--json', 'audit', 'verify', file],
    { CEREMONY_WORKFLOW_BUNDLE: bundle },
    60_000,
  );
  expect(run.code).toBe(1);
  expect(run.stderr).toBe('');
  const {
    results: [verdict],
  } = JSON.parse(run.stdout);
  expect(verdict).toMatchObject({ file, ok: false });
  expect(verdict.problems.join('\n')).toMatch(/[Nn]ondetermin/);
});

test('a history too deep to pass to the replayer gets its own verdict; the valid histories around it replay', async () => {
  const deep = history();
  let nested: unknown[] = [];
  for (let i = 0; i < 200_000; i++) nested = [nested];
  deep.events[3].workflowTaskCompletedEventAttributes = { deep: nested };
  const outcomes = await replayHistories(
    [
      { workflowId: 'before', history: history() },
      { workflowId: 'deep', history: deep },
      { workflowId: 'after', history: history() },
    ],
    { workflowBundlePath: bundle },
  );
  expect(outcomes[0]).toEqual({ workflowId: 'before' });
  expect(outcomes[1]).toMatchObject({
    workflowId: 'deep',
    kind: 'shape',
    error: expect.stringMatching(/^the history cannot be passed to the replayer: Maximum call stack size exceeded/),
  });
  expect(outcomes[2]).toEqual({ workflowId: 'after' });
});
