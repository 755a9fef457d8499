#!/usr/bin/env node
// `npm run record-corpus`: (re-)record the replay corpus (test/fixtures/replay-corpus/): the
// histories of real ceremonies run on the simulated appliances, device transcripts included, as
// `ceremony audit export` writes them (history + manifest). It starts its own local stack (as
// `npm start`, in a temporary data dir on free ports), runs `npm run demo -- all` against it
// (every ceremony kind, the firmware upgrade with its child backup), then a rehearsal, a
// partition-create rejected and one cancelled at its gate and a restore of a missing backup
// aborted by an operator, and exports every closed ceremony (history and manifest; no secret of
// the run may be in one). The bench's replay (`results[bench=replay].cli`) and
// test/ceremonies/replay-corpus.test.ts verify these files with `ceremony audit verify`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportCeremony } from '../audit/tooling/export';
import { CeremonyClient } from '../client/ceremony-client';
import { loadInventory } from '../ceremonies/inventory';
import type { CeremonyKind } from '../ceremonies/plan';
import { loadConfig } from '../runtime/config';
import { FINAL_PHASES, type Phase } from '../workflows/messages';
import { exportedText } from '../test/support/history';
import { localSigner } from './local-signer';

const root = resolve(__dirname, '..', '..');
export const CORPUS_DIR = join(root, 'test', 'fixtures', 'replay-corpus');
const REQUESTER = 'dave@example.com';

function log(text: string): void {
  console.log(`[corpus] ${text}`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function started(child: ChildProcess, ready: string): Promise<void> {
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) ok();
    });
    child.once('exit', (code) => fail(new Error(`exited (${code}) before it was ready:\n${out}`)));
  });
}

function finished(child: ChildProcess): Promise<void> {
  return new Promise((ok, fail) =>
    child.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`exited with code ${code}`)))),
  );
}

function operatorWithKey(plan: { operators: string[] }, dataDir: string): string {
  return plan.operators.find((a) => localSigner(dataDir, a)) ?? plan.operators[0];
}

/** Runs one ceremony to its end: approves every approval gate, rejects at the first, or aborts at an intervention. */
async function drive(
  ceremonies: CeremonyClient,
  dataDir: string,
  kind: CeremonyKind,
  params: Record<string, string>,
  at: 'approve' | 'reject' | 'cancel' | 'abort',
): Promise<Phase> {
  const inventory = loadInventory(join(dataDir, 'sim', 'inventory.yaml'));
  const { ceremonyId } = await ceremonies.start(
    { kind, hsm: loadConfig().DEMO_HSM, ticket: `corpus:${kind}-${at}`, requester: REQUESTER, params },
    inventory,
  );
  for (;;) {
    const status = await ceremonies.status(ceremonyId);
    if (FINAL_PHASES.includes(status.phase) || status.ending) {
      await ceremonies.handle(ceremonyId).result();
      return (await ceremonies.status(ceremonyId)).phase;
    }
    if (status.phase === 'needs-intervention') {
      if (at !== 'abort') throw new Error(`${kind} (${at}) needs an operator`);
      const { plan } = await ceremonies.plan(ceremonyId);
      await ceremonies.resolve(ceremonyId, {
        action: 'abort',
        by: operatorWithKey(plan, dataDir),
        reason: 'no such backup',
      });
    }
    if (status.openGate) {
      const { plan } = await ceremonies.plan(ceremonyId);
      const step = plan.steps.find((s) => s.id === status.openGate!.id)!;
      if (step.type !== 'approval') throw new Error(`${kind}: unexpected gate ${step.type}`);
      const pending = step.approvers.filter((a) => !status.openGate!.approvedBy.includes(a));
      const gate = step.id;
      const planDigest = status.planDigest;
      if (at === 'reject')
        await ceremonies.reject(ceremonyId, { gate, approver: pending[0], planDigest, reason: 'not this week' });
      else if (at === 'cancel')
        // cancels are signed: by the plan's operator who has a key (the requester has none here)
        await ceremonies.cancel(ceremonyId, { by: operatorWithKey(plan, dataDir), reason: 'change withdrawn' });
      else
        for (const approver of pending.slice(0, step.quorum - status.openGate.approvedBy.length))
          await ceremonies.approve(ceremonyId, { gate, approver, planDigest });
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replay-corpus-'));
  const [temporal, ui, web, smtp, inbox] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  Object.assign(process.env, {
    CEREMONY_DATA_DIR: dataDir,
    CEREMONY_PACKAGES_DIR: join(dataDir, 'packages'),
    TEMPORAL_PORT: String(temporal),
    TEMPORAL_UI_PORT: String(ui),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
    WEB_PORT: String(web),
    MAIL_SMTP_PORT: String(smtp),
    MAIL_INBOX_PORT: String(inbox),
    WORKER_METRICS_ADDRESS: 'off',
    WEB_METRICS_ADDRESS: 'off',
  });
  log(`starting a local stack in ${dataDir}`);
  const stack = spawn(process.execPath, [join(root, 'dist/scripts/stack.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await started(stack, 'hsm-ceremonies is running');
    await workerPolling();
    log('running every ceremony kind (npm run demo -- all)');
    const demo = spawn(process.execPath, [join(root, 'dist/scripts/demo.js'), 'all'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await finished(demo);

    const { ceremonies, connection } = await CeremonyClient.connect(loadConfig(), {
      signerFor: (actor) => localSigner(dataDir, actor),
    });
    try {
      // beyond completed: a rehearsal, a partition-create rejected and one cancelled at its gate, a
      // restore of a missing backup aborted by an operator (the
      // appliance was zeroized by the demo's last ceremony: a fresh hsm-init makes it usable again)
      for (const [kind, params, at] of [
        ['hsm-init', { label: 'DEMOHSM', syslogHost: '10.20.0.5', policies: '15=1' }, 'approve'],
        ['rehearsal', {}, 'approve'],
        ['partition-create', { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' }, 'reject'],
        ['partition-create', { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' }, 'cancel'],
        ['restore', { partition: 'payments', backup: 'no-such-backup' }, 'abort'],
      ] as const) {
        const phase = await drive(ceremonies, dataDir, kind, params, at).catch(
          (err: Error) => `not recorded: ${err.message}`,
        );
        log(`${kind} (${at}): ${phase}`);
      }

      rmSync(CORPUS_DIR, { recursive: true, force: true });
      mkdirSync(CORPUS_DIR, { recursive: true });
      // oldest first; closed ones only; not the second hsm-init (only there to make the appliance
      // usable again: the corpus stays small)
      const all = (await ceremonies.list({ limit: 1000 }))
        .reverse()
        .filter((c) => c.status !== 'running' && c.ticket !== 'corpus:hsm-init-approve');
      const seen = new Map<string, number>();
      for (const c of all) {
        const name = `${c.kind ?? 'ceremony'}-${c.phase ?? c.status.toLowerCase()}`;
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        const file = join(CORPUS_DIR, `${name}${n > 1 ? `-${n}` : ''}.json`);
        await exportCeremony(ceremonies, c.ceremonyId, file, { server: 'simulator (scripts/record-replay-corpus.ts)' });
      }
      const bytes = readdirSync(CORPUS_DIR).reduce((sum, f) => sum + statSync(join(CORPUS_DIR, f)).size, 0);
      log(`${all.length} histories in ${CORPUS_DIR} (${Math.round(bytes / 1024)} KiB)`);
      const secrets = simulatorSecrets(dataDir);
      for (const f of readdirSync(CORPUS_DIR).filter((f) => !f.endsWith('.manifest.json'))) {
        const text = exportedText(readFileSync(join(CORPUS_DIR, f), 'utf8'));
        const leaked = secrets.filter((s) => text.includes(s));
        if (leaked.length) throw new Error(`${f} holds a secret of the run: delete the corpus and look into it`);
      }
    } finally {
      await connection.close();
    }
  } finally {
    stack.kill('SIGTERM');
    await new Promise((r) => stack.once('exit', r));
  }
}

/** Until the stack's worker polls its task queue (the demo would otherwise start a stack of its own). */
async function workerPolling(): Promise<void> {
  const { ceremonies, connection } = await CeremonyClient.connect(loadConfig());
  try {
    for (let i = 0; i < 240; i++) {
      const response = await ceremonies.client.workflowService.describeTaskQueue({
        namespace: ceremonies.client.options.namespace,
        taskQueue: { name: ceremonies.taskQueue },
        taskQueueType: 1, // workflow
      });
      if ((response.pollers ?? []).length > 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('no worker polled the task queue within 2 minutes');
  } finally {
    await connection.close();
  }
}

/** The secrets the simulated stack handed out (its Key Vault stand-in: one file a secret). */
function simulatorSecrets(dataDir: string): string[] {
  const dir = join(dataDir, 'sim', 'secrets');
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8').trim())
    .filter((v) => v.length > 0);
}

main().catch((err) => {
  console.error(`[corpus] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
