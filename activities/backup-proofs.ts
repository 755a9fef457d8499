import type { Client } from '@temporalio/client';
import type { CeremonyOutcome, StepOutcome } from '../workflows/messages';
import { CEREMONY_HSM, CEREMONY_KIND } from '../contract/search-attributes';
import { SLUG } from '../ceremonies/patterns';
import type { OperationName } from '../ceremonies/operations';
import { ceremoniesQuery } from './visibility';

// Which backups are proven restorable, read from the ceremonies' own results (never from the
// device, which shows a backup partition's name and object count only):
// - a completed `backup` ceremony records, per partition P, its step `verify-P` (op
//   `backup.verify`, succeeded) with the backup's `label` and `backupObjects`;
// - a completed `restore-drill` ceremony records, per drilled partition P, its step `compare-P`
//   (op `restore.verify`, succeeded) with `{ partition, label, backupObjects, restoredObjects }`:
//   it proves that label restorable.
// The pure part (`provenFrom`) decides from the outcomes; `readBackupProofs` only fetches a
// bounded number of them from Temporal.

/** A completed ceremony's result, with the time its workflow closed (from visibility). */
export interface ClosedOutcome {
  closedAt: string;
  /** `kind` as a string: a kind this build does not know (a drill, before it merges) is read too. */
  outcome: Pick<CeremonyOutcome, 'ceremonyId' | 'hsm' | 'phase' | 'steps'> & { kind: string };
}

/** One ceremony's word on one backup label. */
export interface BackupEvent {
  ceremonyId: string;
  /** When the ceremony closed (ISO time). */
  at: string;
  label: string;
}

export interface PartitionProof {
  partition: string;
  /** The newest completed backup ceremony's backup of this partition. */
  lastBackup?: BackupEvent & { objects: number };
  /** The newest drill that restored a backup of this partition and found every object. */
  lastDrill?: BackupEvent & { objects: number };
  /** The newest drill that proved `lastBackup`'s label, if any did. */
  newestProvenBy?: BackupEvent;
  /** Every label a drill has proven restorable, newest drill first (each once). */
  provenLabels: string[];
  /** Every backup a completed backup ceremony verified complete, newest first: label and objects. */
  verified: { label: string; objects: number }[];
}

const DRILL_KIND = 'restore-drill';
const BACKUP_KIND = 'backup';

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** A succeeded step of this operation whose id is `<prefix><partition>`. */
function stepsOf(
  outcome: ClosedOutcome['outcome'],
  prefix: string,
  op: OperationName,
): { partition: string; step: StepOutcome }[] {
  return outcome.steps
    .filter(
      (s) =>
        s.id.startsWith(prefix) && s.id.length > prefix.length && s.status === 'succeeded' && s.evidence?.op === op,
    )
    .map((step) => ({ partition: step.id.slice(prefix.length), step }));
}

/** A backup ceremony's record of a partition's backup: its label and object count (contract 3). */
function backupOf(step: StepOutcome): { label: string; objects: number } | undefined {
  const verify = record(step.evidence?.verify) ?? {};
  const probe = record(step.evidence?.probe) ?? {};
  const label = text(verify.label) ?? text(probe.label);
  const objects = count(verify.backupObjects) ?? count(probe.backupObjects);
  return label !== undefined && objects !== undefined ? { label, objects } : undefined;
}

/** A drill's proof of a partition's backup (contract 2): it names the partition of its step and
 * restored every object the backup held. Anything less proves nothing. */
function drillOf(partition: string, step: StepOutcome): { label: string; objects: number } | undefined {
  const verify = record(step.evidence?.verify);
  if (!verify || verify.partition !== partition) return undefined;
  const label = text(verify.label);
  const backupObjects = count(verify.backupObjects);
  const restoredObjects = count(verify.restoredObjects);
  if (label === undefined || backupObjects === undefined || restoredObjects !== backupObjects) return undefined;
  return { label, objects: backupObjects };
}

/** Per partition, newest first by close time: the last backup, the last successful drill, and
 * whether a drill has proven the last backup. Only `completed` ceremonies count. */
export function provenFrom(outcomes: readonly ClosedOutcome[]): PartitionProof[] {
  const newestFirst = [...outcomes]
    .filter((o) => o.outcome.phase === 'completed')
    .sort((a, b) => Date.parse(b.closedAt) - Date.parse(a.closedAt));
  const proofs = new Map<string, PartitionProof>();
  const of = (partition: string) => {
    let proof = proofs.get(partition);
    if (!proof) proofs.set(partition, (proof = { partition, provenLabels: [], verified: [] }));
    return proof;
  };
  const drills: { partition: string; event: BackupEvent }[] = [];
  for (const { closedAt, outcome } of newestFirst) {
    const event = (label: string) => ({ ceremonyId: outcome.ceremonyId, at: closedAt, label });
    if (outcome.kind === BACKUP_KIND) {
      for (const { partition, step } of stepsOf(outcome, 'verify-', 'backup.verify')) {
        const backup = backupOf(step);
        const proof = of(partition);
        if (!backup) continue;
        if (!proof.lastBackup) proof.lastBackup = { ...event(backup.label), objects: backup.objects };
        if (!proof.verified.some((v) => v.label === backup.label)) proof.verified.push(backup);
      }
    } else if (outcome.kind === DRILL_KIND) {
      for (const { partition, step } of stepsOf(outcome, 'compare-', 'restore.verify')) {
        const drilled = drillOf(partition, step);
        if (!drilled) continue;
        const proof = of(partition);
        proof.lastDrill ??= { ...event(drilled.label), objects: drilled.objects };
        if (!proof.provenLabels.includes(drilled.label)) proof.provenLabels.push(drilled.label);
        drills.push({ partition, event: event(drilled.label) });
      }
    }
  }
  for (const proof of proofs.values()) {
    const by =
      proof.lastBackup &&
      drills.find((d) => d.partition === proof.partition && d.event.label === proof.lastBackup!.label);
    if (by) proof.newestProvenBy = by.event;
  }
  return [...proofs.values()].sort((a, b) => a.partition.localeCompare(b.partition));
}

export interface BackupProofs {
  hsm: string;
  partitions: PartitionProof[];
  /** How many completed ceremonies were read, and whether the limit cut older ones off (then a
   * partition's older backups and drills are not in this answer). */
  read: { ceremonies: number; limit: number; truncated: boolean };
}

/** Ceremonies read per kind at most (newest first). */
export const DEFAULT_PROOF_LIMIT = 100;

/** The last backup and the last successful drill of each partition of `hsm`, from the results of
 * its completed `backup` and `restore-drill` ceremonies (Temporal visibility: CeremonyKind,
 * CeremonyHsm; at most `limit` of each kind, newest first). Fails (never answers "not proven")
 * when Temporal cannot be read. */
export async function readBackupProofs(
  client: Client,
  taskQueue: string,
  hsm: string,
  limit = DEFAULT_PROOF_LIMIT,
): Promise<BackupProofs> {
  if (!SLUG.test(hsm)) throw new Error(`"${hsm}" is not an HSM name`);
  const outcomes: ClosedOutcome[] = [];
  let truncated = false;
  for (const kind of [BACKUP_KIND, DRILL_KIND]) {
    const query = ceremoniesQuery(
      taskQueue,
      `${CEREMONY_KIND.name} = '${kind}'`,
      `${CEREMONY_HSM.name} = '${hsm}'`,
      `ExecutionStatus = 'Completed'`,
    );
    let n = 0;
    for await (const info of client.workflow.list({ query })) {
      if (n === limit) {
        truncated = true;
        break;
      }
      n += 1;
      const outcome = (await client.workflow.getHandle(info.workflowId, info.runId).result()) as CeremonyOutcome;
      outcomes.push({ closedAt: (info.closeTime ?? info.startTime).toISOString(), outcome });
    }
  }
  return { hsm, partitions: provenFrom(outcomes), read: { ceremonies: outcomes.length, limit, truncated } };
}

/** The HSMs that have completed backup ceremonies (newest first, at most `limit` ceremonies read). */
export async function hsmsWithBackups(
  client: Client,
  taskQueue: string,
  limit = DEFAULT_PROOF_LIMIT,
): Promise<string[]> {
  const hsms = new Set<string>();
  let n = 0;
  for await (const info of client.workflow.list({
    query: ceremoniesQuery(taskQueue, `${CEREMONY_KIND.name} = '${BACKUP_KIND}'`, `ExecutionStatus = 'Completed'`),
  })) {
    const hsm = info.typedSearchAttributes.get(CEREMONY_HSM);
    if (hsm) hsms.add(hsm);
    if (++n >= limit) break;
  }
  return [...hsms].sort();
}

/** The proofs of one HSM, or of every HSM with a completed backup ceremony. */
export async function readAllBackupProofs(
  client: Client,
  taskQueue: string,
  hsm?: string,
  limit = DEFAULT_PROOF_LIMIT,
): Promise<BackupProofs[]> {
  const hsms = hsm !== undefined ? [hsm] : await hsmsWithBackups(client, taskQueue, limit);
  const all: BackupProofs[] = [];
  for (const h of hsms) all.push(await readBackupProofs(client, taskQueue, h, limit));
  return all;
}

/** What an auditor reads of a partition's newest backup: proven by a drill (on which day, by which
 * ceremony), or not proven. */
export function provenText(p: PartitionProof): string {
  if (!p.lastBackup) return 'no backup';
  return p.newestProvenBy
    ? `proven by drill on ${p.newestProvenBy.at.slice(0, 10)} (${p.newestProvenBy.ceremonyId})`
    : 'not proven';
}
