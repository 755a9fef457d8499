// replay: `audit verify` (replay with the current code + invariants, no server) over 1,000
// exported ceremony histories; histories/second.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony, manifestPath } from '../audit/export';
import { verifyHistories } from '../audit/verify';
import { startHarnessFor } from './harness';
import { benchServer, round } from './support';

const HISTORIES = 1000;

export async function replay(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const h = await startHarnessFor(server);
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  try {
    const id = await h.startPlan('bench', [
      { id: 'approve', type: 'approval', title: 'gate', group: 'bench', approvers: ['alice@example.com', 'bob@example.com'], quorum: 2, deadline: '1h' },
      ...Array.from({ length: 5 }, (_, i) => ({ id: `step-${i}`, type: 'device' as const, title: `step ${i}`, hsm: 'bench', op: 'ledger.record' as const, args: { key: `k${i}` } })),
    ]);
    let status = await h.ceremonies.status(id);
    while (status.phase !== 'awaiting-approval') status = await h.ceremonies.status(id);
    for (const a of ['alice@example.com', 'bob@example.com']) await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: status.planDigest });
    await h.ceremonies.handle(id).result();
    const source = join(dir, 'source.json');
    await exportCeremony(h.ceremonies, id, source, { server: 'bench' });
    const files = join(dir, 'histories');
    require('node:fs').mkdirSync(files);
    for (let i = 0; i < HISTORIES; i++) {
      const target = join(files, `h${String(i).padStart(4, '0')}.json`);
      copyFileSync(source, target);
      copyFileSync(manifestPath(source), manifestPath(target));
    }
    const t0 = performance.now();
    const results = await verifyHistories([files], { workflowBundlePath: server.bundlePath });
    const seconds = (performance.now() - t0) / 1000;
    const failed = results.filter((r) => !r.ok).length;
    if (failed) throw new Error(`${failed} histories failed verification`);
    return { bench: 'replay', histories: results.length, seconds: round(seconds, 2), historiesPerSecond: round(results.length / seconds) };
  } finally {
    await h.stop();
    await server.stop();
  }
}
