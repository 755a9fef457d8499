import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony, manifestPath } from '../../audit/tooling/export';
import { cliProcess } from '../support/cli';
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

// `ceremony audit verify` as an auditor runs it: on a history pulled with the Temporal CLI, on our
// own export and a tampered copy, on a folder of them; stdout is the verdict and nothing else.

let h: Harness;
let id: string;
let dir: string;
/** `temporal workflow show --output json`, no manifest */
let temporalCli: string;
/** `ceremony audit export`: history + unsigned manifest, and a copy changed after export */
let ours: string;
let tampered: string;

/** Without --keys, the decisions' keys are those the history carries: not proven. */
const KEYS_NOT_PROVEN =
  'decision keys (trust anchor): checked only against keys the history itself carries (give --keys)';

const INVARIANTS_HELD = [
  '  held        history complete (ends in a close event)',
  "  held        worker's policy check before any step",
  '  held        decision signatures',
  `  not proven  ${KEYS_NOT_PROVEN}`,
  '  held        resolve and cancel signatures',
  "  held        approvals name the plan's digest",
  '  held        no self-approval',
  '  held        deciders eligible for their gate',
  '  held        quorum before gated steps',
  "  held        policy's gates met before each step",
  '  held        no irreversible step after a cancel',
  '  held        zeroize verified before the Azure deprovision',
  '  held        verified backup before a firmware upgrade',
  '  held        probe/act/verify evidence for every device step',
];

beforeAll(async () => {
  h = await startHarness('verify-cli');
  id = await h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const a of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: open.planDigest });
  expect((await result(h.ceremonies, id)).phase).toBe('completed');
  dir = mkdtempSync(join(tmpdir(), 'verify-cli-'));

  mkdirSync(join(dir, 'temporal-cli'));
  temporalCli = join(dir, 'temporal-cli', 'history.json');
  const address = ['--address', h.config.TEMPORAL_ADDRESS, '--namespace', h.config.TEMPORAL_NAMESPACE];
  writeFileSync(
    temporalCli,
    execFileSync(process.env.TEMPORAL_CLI!, ['workflow', 'show', '--workflow-id', id, '--output', 'json', ...address]),
  );

  mkdirSync(join(dir, 'ours'));
  ours = join(dir, 'ours', 'good.json');
  await exportCeremony(h.ceremonies, id, ours, { server: 'test' });
  tampered = join(dir, 'ours', 'tampered.json');
  writeFileSync(tampered, readFileSync(ours, 'utf8').replace(/"eventTime":\s*"2/, '"eventTime":"1')); // any byte: here a date
  copyFileSync(manifestPath(ours), manifestPath(tampered));
});
afterAll(async () => {
  await h?.stop();
});

const lines = (...text: string[]) => `${text.join('\n')}\n`;

test('a history pulled with the Temporal CLI verifies: replayed, every invariant held, integrity not proven; --require-manifest fails it', async () => {
  // the CLI's shape: { events }, enum names, payloads as base64 data with their metadata
  const first = JSON.parse(readFileSync(temporalCli, 'utf8')).events[0];
  expect(first).toMatchObject({ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' });
  expect(first.workflowExecutionStartedEventAttributes.input.payloads[0].metadata.encoding).toBe(
    Buffer.from('json/plain').toString('base64'),
  );

  const cwd = join(dir, 'temporal-cli');
  const verified = await cliProcess(['audit', 'verify', 'history.json'], { cwd });
  expect(verified).toEqual({
    code: 0,
    stderr: '',
    stdout: lines(
      `history.json: ${id} (rehearsal on hsm-test, completed)`,
      '  held        history well formed',
      '  not proven  integrity (manifest hash): no manifest',
      '  held        replay with the current code',
      ...INVARIANTS_HELD,
      `VERIFIED; not proven: integrity (manifest hash): no manifest; ${KEYS_NOT_PROVEN}`,
    ),
  });

  const required = await cliProcess(['audit', 'verify', 'history.json', '--require-manifest', '--no-replay'], { cwd });
  expect(required).toEqual({
    code: 1,
    stderr: '',
    stdout: lines(
      `history.json: ${id} (rehearsal on hsm-test, completed)`,
      '  held        history well formed',
      '  FAILED      integrity (manifest hash): no manifest history.manifest.json (required: --require-manifest)',
      '  not proven  replay with the current code: not replayed (--no-replay): the checks from the history alone were made',
      ...INVARIANTS_HELD,
      'FAILED: integrity (manifest hash)',
    ),
  });
});

test('verify prints exactly the verdict for our export and for a tampered copy, nothing on stderr, also while it bundles; --verbose sends the logs to stderr', async () => {
  const cwd = join(dir, 'ours');
  // no prebuilt bundle and an empty cache: the bundler runs, silently
  const cache = mkdtempSync(join(tmpdir(), 'verify-cache-'));
  const { CEREMONY_WORKFLOW_BUNDLE: _prebuilt, ...withoutBundle } = process.env;
  const good = await cliProcess(['audit', 'verify', 'good.json'], {
    cwd,
    env: { ...withoutBundle, XDG_CACHE_HOME: cache },
  });
  const goodText = lines(
    `good.json: ${id} (rehearsal on hsm-test, completed)`,
    '  held        history well formed',
    '  held        integrity (manifest hash)',
    '  held        manifest matches the history',
    '  not proven  manifest signature: manifest unsigned',
    '  held        replay with the current code',
    ...INVARIANTS_HELD,
    `VERIFIED; not proven: manifest signature: manifest unsigned; ${KEYS_NOT_PROVEN}`,
  );
  expect(good).toEqual({ code: 0, stderr: '', stdout: goodText });
  expect(
    readdirSync(join(cache, 'hsm-ceremonies', 'replay-bundles')).filter((f) => /^workflows-[0-9a-f]{32}\.js$/.test(f)),
  ).toHaveLength(1);

  expect(await cliProcess(['audit', 'verify', 'tampered.json'], { cwd })).toEqual({
    code: 1,
    stderr: '',
    stdout: lines(
      `tampered.json: ${id} (rehearsal on hsm-test, completed)`,
      '  held        history well formed',
      '  FAILED      integrity (manifest hash): the history does not match the sha256 in its manifest: it was changed after export',
      '  held        manifest matches the history',
      '  not proven  manifest signature: manifest unsigned',
      '  held        replay with the current code',
      ...INVARIANTS_HELD,
      'FAILED: integrity (manifest hash)',
    ),
  });

  const verbose = await cliProcess(['audit', 'verify', 'good.json', '--verbose'], { cwd });
  expect(verbose.stdout).toBe(goodText);
  expect(verbose.stderr).toMatch(/\[replay worker\] INFO Worker state changed/);

  const report = await cliProcess(['audit', 'report', 'good.json'], { cwd });
  expect(report).toMatchObject({ code: 0, stderr: '' });
  expect(report.stdout).toMatch(/^# Audit report: Engine test\n/);
});

test('a folder of exports: one table (ceremony, kind, HSM, outcome, verdict), what failed, one exit code; --json the same', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'verify-folder-'));
  copyFileSync(temporalCli, join(folder, 'history.json'));
  // a bare event array (the form the Web UI also imports), newest first (`workflow show --reverse`)
  writeFileSync(
    join(folder, 'reversed-array.json'),
    JSON.stringify(JSON.parse(readFileSync(temporalCli, 'utf8')).events.reverse()),
  );
  for (const file of [ours, tampered]) {
    copyFileSync(file, join(folder, file.slice(file.lastIndexOf('/') + 1)));
    copyFileSync(manifestPath(file), manifestPath(join(folder, file.slice(file.lastIndexOf('/') + 1))));
  }
  const run = await cliProcess(['audit', 'verify', folder]);
  expect(run).toMatchObject({ code: 1, stderr: '' });
  const row = (file: string, verdict: string) =>
    new RegExp(
      `^${file.replace('.', '\\.')} +${id} +rehearsal +hsm-test +completed +${verdict.replace(/[()]/g, '\\$&')}$`,
    );
  const out = run.stdout.split('\n');
  expect(out[0]).toMatch(/^FILE +CEREMONY +KIND +HSM +OUTCOME +VERDICT$/);
  expect(out[1]).toMatch(row('good.json', 'verified; not proven: manifest signature, decision keys (trust anchor)'));
  expect(out[2]).toMatch(
    row('history.json', 'verified; not proven: integrity (manifest hash), decision keys (trust anchor)'),
  );
  expect(out[3]).toMatch(
    row('reversed-array.json', 'verified; not proven: integrity (manifest hash), decision keys (trust anchor)'),
  );
  expect(out[4]).toMatch(row('tampered.json', 'FAILED: integrity (manifest hash)'));
  expect(out.slice(5)).toEqual([
    '',
    `FAILED tampered.json: ${id} (rehearsal on hsm-test, completed)`,
    '  FAILED      integrity (manifest hash): the history does not match the sha256 in its manifest: it was changed after export',
    '',
    '4 histories: 3 verified, 1 failed',
    '',
  ]);

  const json = await cliProcess(['--json', 'audit', 'verify', folder, '--no-replay']);
  expect(json).toMatchObject({ code: 1, stderr: '' });
  const summary = JSON.parse(json.stdout);
  expect(summary).toMatchObject({ ok: false, histories: 4, verified: 3, failed: 1 });
  expect(
    summary.results.map((r: { ceremonyId: string; kind: string; hsm: string; outcome: string; verdict: string }) => [
      r.ceremonyId,
      r.kind,
      r.hsm,
      r.outcome,
      r.verdict,
    ]),
  ).toEqual([
    [
      id,
      'rehearsal',
      'hsm-test',
      'completed',
      `verified; not proven: manifest signature: manifest unsigned; replay with the current code: not replayed (--no-replay): the checks from the history alone were made; ${KEYS_NOT_PROVEN}`,
    ],
    [
      id,
      'rehearsal',
      'hsm-test',
      'completed',
      `verified; not proven: integrity (manifest hash): no manifest; replay with the current code: not replayed (--no-replay): the checks from the history alone were made; ${KEYS_NOT_PROVEN}`,
    ],
    [
      id,
      'rehearsal',
      'hsm-test',
      'completed',
      `verified; not proven: integrity (manifest hash): no manifest; replay with the current code: not replayed (--no-replay): the checks from the history alone were made; ${KEYS_NOT_PROVEN}`,
    ],
    [id, 'rehearsal', 'hsm-test', 'completed', 'FAILED: integrity (manifest hash)'],
  ]);
  expect(summary.results[3].checks).toContainEqual({
    check: 'integrity (manifest hash)',
    status: 'failed',
    detail: 'the history does not match the sha256 in its manifest: it was changed after export',
  });
  expect(summary.results[0].checks).toHaveLength(19);
});
