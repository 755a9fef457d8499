import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestPath } from '../../audit/tooling/export';
import { cli, cliProcess } from '../support/cli';
import { gate, record, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';

// An export of a ceremony still running (parked at its gate): its manifest records the workflow
// running at event N, so the verdict says "in progress at export, complete up to event N" and checks
// what is there (replay of the prefix, every other invariant); a copy cut short of what its manifest
// says is truncated and fails.

let h: Harness;
let id: string;
let dir: string;
let eventCount: number;

beforeAll(async () => {
  h = await startHarness('audit-in-progress');
  id = await h.start(testPlan([gate(), record('effect')]));
  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  dir = mkdtempSync(join(tmpdir(), 'audit-in-progress-'));
  // `ceremony audit export`, as an auditor runs it
  process.env.TEMPORAL_ADDRESS = h.config.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_NAMESPACE = h.config.TEMPORAL_NAMESPACE;
  process.env.TEMPORAL_TASK_QUEUE = h.config.TEMPORAL_TASK_QUEUE;
  const exported = await cli('audit', 'export', id, '-o', join(dir, 'running.json'));
  expect(exported.code).toBe(0);
  const manifest = JSON.parse(readFileSync(manifestPath(join(dir, 'running.json')), 'utf8'));
  expect(manifest.closeEvent).toBe('running');
  eventCount = manifest.eventCount;
  expect(exported.out).toContain(
    `note: ${id} is still running: this history is complete up to event ${eventCount}, and verify will say "in progress"`,
  );

  // the same export with its last events cut off, the manifest left as exported
  const history = JSON.parse(readFileSync(join(dir, 'running.json'), 'utf8'));
  history.events = history.events.slice(0, -2);
  writeFileSync(join(dir, 'cut.json'), JSON.stringify(history));
  writeFileSync(manifestPath(join(dir, 'cut.json')), readFileSync(manifestPath(join(dir, 'running.json'))));
});
afterAll(async () => {
  await h?.stop();
});

test('a ceremony parked at its gate, exported and verified: passes, "in progress at export, complete up to event N", the prefix replayed', async () => {
  expect((await h.ceremonies.status(id)).phase).toBe('awaiting-approval'); // still running
  const run = await cliProcess(['audit', 'verify', 'running.json'], { cwd: dir });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(`running.json: ${id} (rehearsal on hsm-test, running)`);
  expect(lines).toContain(
    `  not proven  history complete (ends in a close event): in progress at export, complete up to event ${eventCount}`,
  );
  expect(lines).toContain('  held        manifest matches the history');
  expect(lines).toContain('  held        replay with the current code');
  expect(lines).toContain('  held        quorum before gated steps');
  expect(lines.at(-1)).toMatch(
    new RegExp(
      `^VERIFIED; not proven: .*history complete \\(ends in a close event\\): in progress at export, complete up to event ${eventCount}`,
    ),
  );
});

test('the same export cut short of its manifest: truncated, and it fails', async () => {
  const run = await cliProcess(['audit', 'verify', 'cut.json', '--no-replay'], { cwd: dir });
  expect(run).toMatchObject({ code: 1, stderr: '' });
  expect(run.stdout).toContain(`the manifest's event count is ${eventCount}, the history's is ${eventCount - 2}`);
  expect(run.stdout).toContain(
    `  FAILED      history complete (ends in a close event): events ${eventCount - 2}: truncated: the history ends at event ${eventCount - 2}, its manifest records ${eventCount} events up to event ${eventCount}\n`,
  );
  expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
    'FAILED: integrity (manifest hash), manifest matches the history, history complete (ends in a close event)',
  );
});

test('without its manifest, an unclosed history cannot be told from a truncated one: it fails as before', async () => {
  writeFileSync(join(dir, 'bare.json'), readFileSync(join(dir, 'running.json')));
  const run = await cliProcess(['audit', 'verify', 'bare.json', '--no-replay'], { cwd: dir });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(
    /FAILED {6}history complete \(ends in a close event\): .*not in a close event: it is truncated or the ceremony had not ended/,
  );
});
