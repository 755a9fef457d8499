#!/usr/bin/env node
// `npm run demo -- <ceremony>|all`: run ceremonies end to end on the local stack (started here if
// it is not running), approving as the inventory's approvers through the same Temporal Updates
// the CLI and the approval pages use, and print each final status.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CeremonyClient } from '../client/ceremony-client';
import { loadInventory } from '../ceremonies/inventory';
import type { CeremonyKind } from '../ceremonies/plan';
import { formatStatus } from '../cli/format';
import { FINAL_PHASES, type CeremonyStatus } from '../workflows/messages';
import { loadConfig } from '../runtime/config';
import { localSigner } from './local-signer';

const root = resolve(__dirname, '..', '..');
const config = loadConfig();
const dataDir = resolve(root, config.CEREMONY_DATA_DIR);
const HSM = config.DEMO_HSM;
const REQUESTER = 'dave@example.com';
const ORDER: CeremonyKind[] = [
  'hsm-init',
  'partition-create',
  'backup',
  'restore',
  'restore-drill',
  'backup-retention',
  'ntls-certificate-rotation',
  'firmware-upgrade',
  'zeroize-deprovision',
];
const PACKAGE = 'lunahsm_update-7.8.4-demo.spkg';

function log(text: string): void {
  console.log(`[demo] ${text}`);
}

/** What each ceremony asks for in the demo. */
function demoParams(kind: CeremonyKind): Record<string, string> {
  switch (kind) {
    case 'hsm-init':
      return { label: 'DEMOHSM', syslogHost: '10.20.0.5', policies: '15=1' };
    case 'partition-create':
      return { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' };
    case 'backup':
      return { partitions: 'payments' };
    case 'backup-retention':
      return { partitions: 'payments' };
    case 'firmware-upgrade': {
      const dir = join(dataDir, 'packages');
      mkdirSync(dir, { recursive: true });
      const content = Buffer.from('demo update package 7.8.4\n'.repeat(4096));
      writeFileSync(join(dir, PACKAGE), content);
      return {
        file: PACKAGE,
        sha256: createHash('sha256').update(content).digest('hex'),
        authCode: 'DemoAuth42',
        targetFirmware: '7.8.4',
        partitions: 'payments',
        rebootWaitSeconds: '60',
      };
    }
    case 'zeroize-deprovision':
      return { maxBackupAgeDays: '7' };
    case 'restore':
      return { partition: 'payments', backup: newestBackupOf('payments') };
    case 'restore-drill':
      return { partitions: 'payments' };
    default:
      return {};
  }
}

/** The simulated appliance's state file (demo only: decides which prerequisites still need a run). */
function applianceState(): { zeroized: boolean; partitions: { name: string }[] } | undefined {
  const path = join(dataDir, 'sim', HSM, 'state.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { zeroized: boolean; partitions: { name: string }[] })
    : undefined;
}

type SimPartition = { name: string; serial: string; objects: number; createdAt: string };

/** Change the simulated appliance's state as the world outside the ceremonies would (demo only). */
function updateAppliance(change: (state: { serial: string; partitions: SimPartition[] }) => void): void {
  const path = join(dataDir, 'sim', HSM, 'state.json');
  const state = JSON.parse(readFileSync(path, 'utf8')) as { serial: string; partitions: SimPartition[] };
  change(state);
  writeFileSync(path, JSON.stringify(state, null, 2));
}

/** The label of the newest backup of a partition on the simulated Backup HSM (the demo's backup). */
function newestBackupOf(partition: string): string {
  const path = join(dataDir, 'sim', 'onprem-backup', 'state.json');
  const backups: { label: string; sourcePartition: string; objects: number }[] = existsSync(path)
    ? (
        JSON.parse(readFileSync(path, 'utf8')) as {
          backups: { label: string; sourcePartition: string; objects: number }[];
        }
      ).backups
    : [];
  const label = backups.filter((b) => b.sourcePartition === partition && b.objects > 0).at(-1)?.label;
  if (!label) throw new Error(`no backup of ${partition} on the simulated Backup HSM: run the backup first`);
  return label;
}

/** What happens around a ceremony in the demo's story: payments' application creates its keys
 * before the backup; payments loses them (re-initialised) before the restore; the drill's scratch
 * partition (config/inventory.yaml scratchPartitions) exists, empty, as its owner created it. */
function setTheScene(kind: CeremonyKind): void {
  if (kind === 'backup') {
    updateAppliance((s) =>
      s.partitions.filter((p) => p.name === 'payments' && p.objects === 0).forEach((p) => (p.objects = 12)),
    );
    log('backup: the application on app01 has created 12 keys in payments');
  }
  if (kind === 'restore') {
    updateAppliance((s) => s.partitions.filter((p) => p.name === 'payments').forEach((p) => (p.objects = 0)));
    log('restore: payments has lost its keys (re-initialised): it is restored from its backup');
  }
  if (kind === 'restore-drill') {
    updateAppliance((s) => {
      if (s.partitions.some((p) => p.name === 'drill-scratch')) return;
      s.partitions.push({
        name: 'drill-scratch',
        serial: `15${s.serial.padStart(7, '0').slice(-7)}${String(9000 + s.partitions.length)}`,
        objects: 0,
        createdAt: new Date().toISOString(),
      });
    });
  }
}

function needsRun(kind: CeremonyKind): boolean {
  const state = applianceState();
  if (kind === 'hsm-init') return !state || state.zeroized;
  if (kind === 'partition-create') return !state?.partitions.some((p) => p.name === 'payments');
  if (kind === 'backup-retention') return false; // never a prerequisite of a later kind
  if (kind === 'ntls-certificate-rotation') return false; // never a prerequisite of a later kind
  return true;
}

async function stackRunning(ceremonies: CeremonyClient): Promise<boolean> {
  const response = await ceremonies.client.workflowService.describeTaskQueue({
    namespace: ceremonies.client.options.namespace,
    taskQueue: { name: ceremonies.taskQueue },
    taskQueueType: 1, // workflow
  });
  return (response.pollers ?? []).length > 0;
}

async function connect(): Promise<{ ceremonies: CeremonyClient; close: () => Promise<void> }> {
  // each approver signs with the key the local stack generated for them (.data/keys/<email>.pem)
  const { ceremonies, connection } = await CeremonyClient.connect(config, {
    signerFor: (actor) => localSigner(dataDir, actor),
  });
  return { ceremonies, close: () => connection.close() };
}

async function startStack(): Promise<ChildProcess> {
  log('the local stack is not running: starting it (npm start does the same)');
  const child = spawn(process.execPath, [join(root, 'dist/scripts/stack.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('hsm-ceremonies is running')) ok();
    });
    child.once('exit', (code) => fail(new Error(`the stack exited (${code}) before it was ready:\n${out}`)));
  });
  return child;
}

async function waitForWorker(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const c = await connect().catch(() => undefined);
    if (c) {
      const up = await stackRunning(c.ceremonies).catch(() => false);
      await c.close();
      if (up) return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('no worker polled the task queue within 60 s');
}

/** Approve every gate as it opens, as the approvers would; sign off as Microsoft's contact. */
async function runCeremony(ceremonies: CeremonyClient, kind: CeremonyKind): Promise<CeremonyStatus> {
  setTheScene(kind);
  const ticket = `demo:${kind}-${Date.now().toString(36)}`;
  const inventory = loadInventory(join(dataDir, 'sim', 'inventory.yaml'));
  const { ceremonyId } = await ceremonies.start(
    { kind, hsm: HSM, ticket, requester: REQUESTER, params: demoParams(kind) },
    inventory,
  );
  log(`${kind}: started ${ceremonyId}`);
  let last = '';
  for (;;) {
    const status = await ceremonies.status(ceremonyId);
    const line = `${status.phase}${status.currentStep ? ` at ${status.currentStep}` : ''}`;
    if (line !== last) log(`${kind}: ${line}`);
    last = line;
    if (status.phase === 'needs-intervention') return status;
    // final only once the workflow has closed (its last mails sent): wait for its result, so the
    // stack is never stopped with the ceremony still open
    if (FINAL_PHASES.includes(status.phase) || status.ending) {
      await ceremonies.handle(ceremonyId).result();
      return ceremonies.status(ceremonyId);
    }
    if (status.openGate) {
      const { plan } = await ceremonies.plan(ceremonyId);
      const step = plan.steps.find((s) => s.id === status.openGate!.id)!;
      if (step.type === 'signoff') {
        log(`${kind}: ${step.contacts[0]} signs off (${step.signer})`);
        await ceremonies.signoff(ceremonyId, {
          gate: step.id,
          by: step.contacts[0],
          planDigest: status.planDigest,
          reference: `DEMO-${Date.now()}`,
        });
      } else if (step.type === 'approval') {
        const pending = step.approvers.filter((a) => !status.openGate!.approvedBy.includes(a));
        for (const approver of pending.slice(0, step.quorum - status.openGate.approvedBy.length)) {
          log(`${kind}: ${approver} approves plan ${status.planDigest.slice(0, 12)}…`);
          await ceremonies.approve(ceremonyId, { gate: step.id, approver, planDigest: status.planDigest });
        }
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main(): Promise<void> {
  const wanted = process.argv[2];
  if (!wanted || (wanted !== 'all' && !ORDER.includes(wanted as CeremonyKind))) {
    console.error(`usage: npm run demo -- <${[...ORDER, 'all'].join('|')}>`);
    process.exit(2);
  }
  let stack: ChildProcess | undefined;
  const probe = await connect().catch(() => undefined);
  const running = probe ? await stackRunning(probe.ceremonies).catch(() => false) : false;
  await probe?.close();
  if (!running) stack = await startStack();
  try {
    await waitForWorker();
    const { ceremonies, close } = await connect();
    try {
      // a single ceremony first runs the ones it depends on, when the appliance lacks their effect
      const target = wanted === 'all' ? ORDER : ORDER.slice(0, ORDER.indexOf(wanted as CeremonyKind) + 1);
      const kinds = wanted === 'all' ? target : target.filter((k) => k === wanted || needsRun(k));
      for (const kind of kinds) {
        const status = await runCeremony(ceremonies, kind);
        console.log(`\n${formatStatus(status)}\n`);
        if (status.phase !== 'completed')
          throw new Error(`${kind} ended ${status.phase}: see \`ceremony status ${status.ceremonyId}\``);
      }
      log(`done: ${kinds.join(', ')} completed`);
    } finally {
      await close();
    }
  } finally {
    if (stack) {
      stack.kill('SIGTERM');
      await new Promise((r) => stack.once('exit', r));
    }
  }
}

main().catch((err) => {
  console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
