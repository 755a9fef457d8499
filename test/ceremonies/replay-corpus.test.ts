import { join } from 'node:path';
import { CEREMONY_KINDS } from '../../ceremonies/plan';
import { cliProcess } from '../support/cli';

// The replay corpus (test/fixtures/replay-corpus, recorded by scripts/record-replay-corpus.ts from
// real ceremonies on the simulator) verifies with the current code, as an auditor runs it: every
// history replays and holds every invariant. A change that makes a recorded history no longer
// replay fails here; bench/README.md ("The replay corpus") says what to do then.

const CORPUS = join(__dirname, '..', 'fixtures', 'replay-corpus');

interface Verdict {
  file: string;
  ok: boolean;
  replayed: boolean;
  kind?: string;
  outcome?: string;
  verdict: string;
}

test('every history of the replay corpus passes `ceremony audit verify` (replayed with the current code)', async () => {
  const { code, stdout, stderr } = await cliProcess(['--json', 'audit', 'verify', CORPUS]);
  const summary = JSON.parse(stdout) as { ok: boolean; results: Verdict[] };
  const failed = summary.results.filter((r) => !r.ok || !r.replayed).map((r) => `${r.file}: ${r.verdict}`);
  expect({ code, failed, stderr }).toEqual({ code: 0, failed: [], stderr: '' });
  // the corpus covers every ceremony kind and ends other than completed too
  expect(new Set(summary.results.map((r) => r.kind))).toEqual(new Set(CEREMONY_KINDS));
  expect(new Set(summary.results.map((r) => r.outcome))).toEqual(
    new Set(['completed', 'rejected', 'cancelled', 'aborted']),
  );
}, 120_000);
