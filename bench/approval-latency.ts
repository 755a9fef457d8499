// approval-latency: from an approver's POST on the decision page to the next activity starting
// (the ledger entry the following step writes), p50/p99 over 200 approvals; and how much of it
// the POST's answer takes (the signed Update's round trip through the server and the workflow).
import {
  createLinkToken,
  formToken,
  newLinkKeyEntry,
  parseLinkKeys,
  verifyLinkToken,
} from '../ceremonies/approval-links';
import { readLedger } from '../activities/ops/ledger';
import { buildWebServer } from '../web/server';
import { benchKeys, startHarnessFor } from './harness';
import { benchServer, percentile, round } from './support';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const APPROVALS = 200;
const PER_CEREMONY = 50;

export async function approvalLatency(): Promise<Record<string, unknown>> {
  const server = await benchServer();
  const h = await startHarnessFor(server);
  const keys = parseLinkKeys(newLinkKeyEntry());
  const web = await buildWebServer({
    ceremonies: h.ceremonies,
    linkKeys: keys,
    attestation: benchKeys.attestation,
    linkRateLimit: 100_000,
  });
  const base = await web.listen({ host: '127.0.0.1', port: 0 });
  const ledgerPath = join(h.config.CEREMONY_DATA_DIR, 'ledger.jsonl');
  const outboxPath = join(h.config.CEREMONY_DATA_DIR, 'outbox.jsonl');
  const mailed = (ceremonyId: string, gate: string) =>
    existsSync(outboxPath) &&
    readFileSync(outboxPath, 'utf8')
      .split('\n')
      .some(
        (line) =>
          line.includes(`"gate":"${gate}"`) &&
          line.includes(`"ceremonyId":"${ceremonyId}"`) &&
          line.includes('"kind":"approval-requested"'),
      );
  const latencies: number[] = [];
  const posts: number[] = [];
  try {
    for (let c = 0; c < APPROVALS / PER_CEREMONY; c++) {
      const steps = Array.from({ length: PER_CEREMONY }, (_, i) => [
        {
          id: `gate-${i}`,
          type: 'approval' as const,
          title: `gate ${i}`,
          group: 'bench',
          approvers: ['alice@example.com'],
          quorum: 1,
          deadline: '1h',
        },
        {
          id: `after-${i}`,
          type: 'device' as const,
          title: `after ${i}`,
          hsm: 'bench',
          op: 'ledger.record' as const,
          args: { key: `after-${i}` },
        },
      ]).flat();
      const id = await h.startPlan('bench', steps);
      for (let i = 0; i < PER_CEREMONY; i++) {
        // the approver clicks once the mail asking for it has gone (the workflow is waiting then)
        while (!mailed(id, `gate-${i}`)) await new Promise((r) => setTimeout(r, 2));
        const status = await h.ceremonies.status(id);
        if (status.openGate?.id !== `gate-${i}`) throw new Error(`gate-${i} is not open after its mail`);
        const { token } = createLinkToken(keys, {
          kind: 'approval',
          ceremonyId: id,
          gate: `gate-${i}`,
          approver: 'alice@example.com',
          digest: status.planDigest,
          exp: Math.floor(Date.now() / 1000) + 3600,
        });
        const form = formToken(keys, verifyLinkToken(keys, token));
        const t0 = Date.now();
        const res = await fetch(`${base}/decide/${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `form=${form}&decision=approve`,
        });
        if (res.status !== 200) throw new Error(`approval POST answered ${res.status}`);
        posts.push(Date.now() - t0);
        for (;;) {
          const entry = (await readLedger(ledgerPath)).find((e) => e.ceremonyId === id && e.key === `after-${i}`);
          if (entry) {
            latencies.push(Date.parse(entry.at) - t0);
            break;
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    }
    return {
      bench: 'approval-latency',
      approvals: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      // of which the POST's answer (the web app's Update, until the workflow has recorded it)
      postAnsweredP50Ms: round(percentile(posts, 50)),
      postAnsweredP99Ms: round(percentile(posts, 99)),
    };
  } finally {
    await web.close();
    await h.stop();
    await server.stop();
  }
}
