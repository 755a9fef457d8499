import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyHistories } from '../../audit/tooling/verify';
import { cliProcess } from '../support/cli';

// Hostile exports: a history nested 200,000 levels deep and one larger than the byte limit each get
// their own "failed" verdict, before anything parses them; in a folder, the good histories beside
// them still verify (replayed), and the table lists every file. Needs dist/ (`npx tsc`).

const fixtures = join(__dirname, '..', 'fixtures', 'histories');
const beforeLocal = join(fixtures, 'before-local-activities', 'ceremony-test-BEFORE-LOCAL-1');
const DEPTH = 200_000;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-bounds-'));
  copyFileSync(`${beforeLocal}.json`, join(dir, 'ceremony-test-BEFORE-LOCAL-1.json'));
  copyFileSync(`${beforeLocal}.manifest.json`, join(dir, 'ceremony-test-BEFORE-LOCAL-1.manifest.json'));
  copyFileSync(`${beforeLocal}.json`, join(dir, 'copy.json'));
  copyFileSync(`${beforeLocal}.manifest.json`, join(dir, 'copy.manifest.json'));
  // a real history with one event's attributes replaced by a 200,000-deep array (the verifier
  // used to overflow its stack passing it to the replayer, and the process died)
  const history = JSON.parse(readFileSync(`${beforeLocal}.json`, 'utf8'));
  const marker = '"__DEEP__"';
  history.events[3].workflowTaskCompletedEventAttributes = '__DEEP__';
  writeFileSync(
    join(dir, 'deep.json'),
    JSON.stringify(history).replace(marker, `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`),
  );
  // well-formed JSON, 386 KB: over a limit set at 200K, where the good ones (86 KB) are under
  history.events[3].workflowTaskCompletedEventAttributes = { identity: 'x'.repeat(300_000) };
  writeFileSync(join(dir, 'huge.json'), JSON.stringify(history));
});

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

test('a history nested 200,000 levels deep gets "too deep", not a crash', async () => {
  const run = await cliProcess(['audit', 'verify', 'deep.json'], { cwd: dir });
  expect(run).toEqual({
    code: 1,
    stderr: '',
    stdout: [
      'deep.json: unreadable',
      '  FAILED      history well formed: too deep: arrays and objects nested more than 256 levels (--max-depth): not parsed',
      'FAILED: history well formed',
      '',
    ].join('\n'),
  });
  // a lower limit is the auditor's to set; the good fixture is within it
  const low = await cliProcess(['audit', 'verify', 'copy.json', '--max-depth', '5', '--no-replay'], { cwd: dir });
  expect(low.code).toBe(1);
  expect(low.stdout).toContain('too deep: arrays and objects nested more than 5 levels (--max-depth)');
});

test('a history over --max-bytes gets "too large" and is not read', async () => {
  const run = await cliProcess(['audit', 'verify', 'huge.json', '--max-bytes', '200K'], { cwd: dir });
  const size = readFileSync(join(dir, 'huge.json')).length;
  expect(run).toEqual({
    code: 1,
    stderr: '',
    stdout: [
      'huge.json: unreadable',
      `  FAILED      history well formed: too large: ${size} bytes, more than the limit of ${200 * 1024} (--max-bytes): not read`,
      'FAILED: history well formed',
      '',
    ].join('\n'),
  });
  const bad = await cliProcess(['audit', 'verify', 'huge.json', '--max-bytes', 'lots'], { cwd: dir });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/--max-bytes <n>' argument 'lots' is invalid\. expected a number of bytes/);
});

test('a folder with both and two good histories: every file gets its verdict, the good ones verify (replayed), one nonzero exit', async () => {
  const run = await cliProcess(['audit', 'verify', '.', '--max-bytes', '200K'], { cwd: dir });
  expect(run).toMatchObject({ code: 1, stderr: '' });
  const out = run.stdout.split('\n');
  expect(out[0]).toMatch(/^FILE +CEREMONY +KIND +HSM +OUTCOME +VERDICT$/);
  expect(out[1]).toMatch(
    /^ceremony-test-BEFORE-LOCAL-1\.json +ceremony-test-BEFORE-LOCAL-1 +rehearsal +\S+ +completed +verified; not proven: /,
  );
  expect(out[2]).toMatch(
    /^copy\.json +ceremony-test-BEFORE-LOCAL-1 +rehearsal +\S+ +completed +verified; not proven: /,
  );
  expect(out[3]).toMatch(/^deep\.json +- +- +- +- +FAILED: history well formed$/);
  expect(out[4]).toMatch(/^huge\.json +- +- +- +- +FAILED: history well formed$/);
  expect(lastLine(run.stdout)).toBe('4 histories: 2 verified, 2 failed');

  const json = await cliProcess(['--json', 'audit', 'verify', '.', '--max-bytes', '200K'], { cwd: dir });
  const summary = JSON.parse(json.stdout);
  expect(summary).toMatchObject({ ok: false, histories: 4, verified: 2, failed: 2 });
  for (const good of [summary.results[0], summary.results[1]]) {
    expect(good.replayed).toBe(true);
    expect(good.checks).toContainEqual({ check: 'replay with the current code', status: 'held' });
  }
});

test('a path that does not exist, or a replay that cannot run, is a verdict too: the other files keep theirs', async () => {
  const results = await verifyHistories([join(dir, 'missing.json'), join(dir, 'copy.json')], {
    workflowBundlePath: join(dir, 'no-such-bundle.js'),
  });
  expect(results.map((r) => r.file)).toEqual([join(dir, 'missing.json'), join(dir, 'copy.json')]);
  expect(results[0]).toMatchObject({
    ok: false,
    checks: [{ check: 'history well formed', status: 'failed', detail: 'the history cannot be read: ENOENT' }],
  });
  expect(results[1].ok).toBe(false);
  expect(results[1].checks.find((c) => c.check === 'replay with the current code')).toMatchObject({ status: 'failed' });
  expect(results[1].checks.find((c) => c.check === 'history well formed')).toEqual({
    check: 'history well formed',
    status: 'held',
  });
});

test('nesting hidden in a payload (base64 in the file) is refused where the plan is read: a verdict, not a crash', async () => {
  const history = JSON.parse(readFileSync(`${beforeLocal}.json`, 'utf8'));
  const payload = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString());
  input.plan.steps[1].args.deep = '__DEEP__';
  payload.data = Buffer.from(
    JSON.stringify(input).replace('"__DEEP__"', `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`),
  ).toString('base64');
  const file = join(mkdtempSync(join(tmpdir(), 'audit-deep-payload-')), 'deep-payload.json');
  writeFileSync(file, JSON.stringify(history));
  const [r] = await verifyHistories([file], { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE });
  expect(r).toMatchObject({
    ok: false,
    problems: ['the history cannot be read: its plan is not valid: steps.1.args.deep: Invalid input'],
  });
});

test('a link to /dev/zero and a FIFO named like histories are not read (their size says nothing): each gets a verdict, the good one verifies', async () => {
  const odd = mkdtempSync(join(tmpdir(), 'audit-odd-'));
  copyFileSync(`${beforeLocal}.json`, join(odd, 'copy.json'));
  copyFileSync(`${beforeLocal}.manifest.json`, join(odd, 'copy.manifest.json'));
  symlinkSync('/dev/zero', join(odd, 'endless.json')); // stat says 0 bytes; reading never ends
  execFileSync('mkfifo', [join(odd, 'pipe.json')]); // opening it for reading would wait forever
  const run = await cliProcess(['audit', 'verify', '.', '--no-replay'], { cwd: odd });
  expect(run).toMatchObject({ code: 1, stderr: '' });
  const out = run.stdout.split('\n');
  expect(out[1]).toMatch(/^copy\.json +ceremony-test-BEFORE-LOCAL-1 +rehearsal +\S+ +completed +verified/);
  expect(out[2]).toMatch(/^endless\.json +- +- +- +- +FAILED: history well formed$/);
  expect(out[3]).toMatch(/^pipe\.json +- +- +- +- +FAILED: history well formed$/);
  expect(lastLine(run.stdout)).toBe('3 histories: 1 verified, 2 failed');
  const one = await cliProcess(['audit', 'verify', 'endless.json'], { cwd: odd });
  expect(one.stdout).toContain('history well formed: the history is not a regular file (a symbolic link): not read');
});
