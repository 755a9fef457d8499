// replay: first `cli` (./replay-cli.ts): `ceremony audit verify` as an auditor runs it, on the
// recorded corpus of real ceremonies. Then `inProcessSynthetic`: `verifyHistories` in this process
// with a prebuilt bundle, over 1,000 distinct synthetic histories: `ledger.record` plans of every
// kind and several shapes (gated or not, 1 to 8 steps, no device transcripts) ending in each
// outcome (completed, rejected, cancelled, aborted after a failed step, refused by the policy).
// Times separately the checks that read each history (hash, manifest, signatures, invariants:
// `--no-replay`) and the full verify (those checks and the replay with the current code, over the
// machine's cores).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../audit/tooling/export';
import { verifyHistories } from '../audit/tooling/verify';
import { CEREMONY_KINDS } from '../ceremonies/plan';
import type { PlanInput } from '../ceremonies/plan';
import type { Phase } from '../workflows/messages';
import { startHarnessFor } from './harness';
import { replayCli } from './replay-cli';
import { benchServer, inParallel, round } from './support';

const HISTORIES = 1000;
const OUTCOMES = ['completed', 'completed-ungated', 'rejected', 'cancelled', 'aborted', 'refused'] as const;
type Outcome = (typeof OUTCOMES)[number];
const FINAL: Record<Outcome, Phase> = {
  completed: 'completed',
  'completed-ungated': 'completed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  aborted: 'aborted',
  refused: 'refused',
};
const APPROVERS = ['alice@example.com', 'bob@example.com'];

/** The plan of history `i`: its outcome, kind and length vary with i. */
function planFor(i: number): { outcome: Outcome; kind: PlanInput['kind']; steps: PlanInput['steps'] } {
  const outcome = OUTCOMES[i % OUTCOMES.length];
  const kind = CEREMONY_KINDS[Math.floor(i / OUTCOMES.length) % CEREMONY_KINDS.length];
  const length = 1 + (i % 8);
  const record = (n: number) => ({
    id: `record-${n}`,
    type: 'device' as const,
    title: `record ${n}`,
    hsm: 'bench',
    op: 'ledger.record' as const,
    args: { key: `h${i}-k${n}` },
  });
  const records = Array.from({ length }, (_, n) => record(n));
  const gate = {
    id: 'approve',
    type: 'approval' as const,
    title: 'gate',
    group: 'bench',
    approvers: APPROVERS,
    quorum: 2,
    deadline: '1h',
  };
  switch (outcome) {
    case 'completed-ungated':
      return { outcome, kind, steps: records };
    case 'aborted': // a check that fails (the key was never recorded): an operator aborts
      return {
        outcome,
        kind,
        steps: [
          ...records,
          {
            id: 'require',
            type: 'device',
            title: 'require',
            hsm: 'bench',
            op: 'ledger.require',
            args: { key: `h${i}-missing` },
          },
        ],
      };
    case 'refused': // an irreversible step with no gate before it
      return { outcome, kind, steps: [{ ...record(0), irreversible: true }] };
    default:
      return { outcome, kind, steps: [gate, ...records] };
  }
}

export async function replay(): Promise<Record<string, unknown>> {
  const cli = await replayCli(); // before this process starts a server and a worker
  const server = await benchServer();
  const h = await startHarnessFor(server);
  const dir = join(mkdtempSync(join(tmpdir(), 'bench-replay-')), 'histories');
  mkdirSync(dir);
  try {
    const waitFor = async (id: string, phases: Phase[]) => {
      for (;;) {
        const status = await h.ceremonies.status(id);
        if (phases.includes(status.phase)) return status;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let made = 0;
    await inParallel(HISTORIES, 50, async (i) => {
      const { outcome, kind, steps } = planFor(i);
      const id = await h.startPlan('bench', steps, kind);
      if (outcome === 'completed' || outcome === 'rejected' || outcome === 'cancelled') {
        const { planDigest } = await waitFor(id, ['awaiting-approval']);
        if (outcome === 'completed')
          for (const a of APPROVERS) await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest });
        if (outcome === 'rejected')
          await h.ceremonies.reject(id, {
            gate: 'approve',
            approver: APPROVERS[1],
            planDigest,
            reason: 'not this week',
          });
        if (outcome === 'cancelled')
          // cancels are signed: by one of the bench's people, who have keys
          await h.ceremonies.cancel(id, { by: 'operator@example.com', reason: 'change withdrawn' });
      }
      if (outcome === 'aborted') {
        await waitFor(id, ['needs-intervention']);
        await h.ceremonies.resolve(id, { action: 'abort', by: 'operator@example.com', reason: 'the key is not there' });
      }
      const final = await h.ceremonies.handle(id).result();
      if (final.phase !== FINAL[outcome]) throw new Error(`history ${i} (${outcome}) ended ${final.phase}`);
      await exportCeremony(h.ceremonies, id, join(dir, `h${String(i).padStart(4, '0')}.json`), { server: 'bench' });
      made += 1;
      if (made % 200 === 0) process.stderr.write(`[bench] replay: ${made}/${HISTORIES} histories made\n`);
    });

    const timed = async (replayMode: 'none' | 'all') => {
      const t0 = performance.now();
      const results = await verifyHistories([dir], { workflowBundlePath: server.bundlePath, replay: replayMode });
      const seconds = (performance.now() - t0) / 1000;
      const failed = results.filter((r) => !r.ok);
      if (failed.length)
        throw new Error(
          `${failed.length} histories failed verification (${replayMode}), e.g. ${failed[0].file}: ${[...failed[0].problems, ...failed[0].violations.map((v) => v.detail)][0]}`,
        );
      return {
        histories: results.length,
        seconds: round(seconds, 2),
        historiesPerSecond: round(results.length / seconds),
      };
    };
    const fast = await timed('none');
    const full = await timed('all');
    return {
      bench: 'replay',
      cli,
      inProcessSynthetic: {
        histories: HISTORIES,
        outcomes: OUTCOMES.join(', '),
        prebuiltBundle: true,
        replayProcesses: availableParallelism(),
        fastChecks: fast,
        fullReplay: full,
      },
    };
  } finally {
    await h.stop();
    await server.stop();
  }
}
