import { Context } from '@temporalio/activity';
import type { OperationArgs } from '../../ceremonies/operations';
import { readBackupProofs, type PartitionProof } from '../backup-proofs';
import { readBackups, readPartitions } from '../device/queries';
import { LunaCommandError } from '../device/errors';
import { archiveDeleteAnswers } from '../device/lunacm-answers';
import { backupDay } from './backup';
import { defineOperation, type OperationContext } from './operation';

// Backup retention: the backups are listed from the Backup HSM itself (LunaCM `partition archive
// list`), never from our records; a backup's day is read from the name a backup ceremony gave it
// (`<hsm>-<partition>-<yyyymmdd>-<tag>`, activities/ops/backup.ts). What our records add is only
// what protects a backup: which ones a backup ceremony verified complete, and which ones a drill
// proved restorable (activities/backup-proofs.ts).

const DAY_MS = 86_400_000;

export interface RetentionInput {
  hsm: string;
  partition: string;
  /** The Backup HSM's backup partitions (all of them: those not of this HSM and partition are left out). */
  backups: { label: string; objects: number }[];
  /** The partition's objects now (`partition list`), when it still exists. */
  sourceObjects?: number;
  proof?: Pick<PartitionProof, 'verified' | 'provenLabels'>;
  retentionDays: number;
  /** Today, UTC midnight (ms). */
  today: number;
}

export interface RetentionDecision {
  label: string;
  day: string;
  objects: number;
  delete: boolean;
  reason: string;
}

/** What retention does to each backup of one partition: deletes those older than the retention
 * unless protected. Protected: the newest complete backup (it holds as many objects as the
 * partition, or a backup ceremony verified it complete with the objects it still holds), and the
 * newest a drill proved restorable. With no backup known complete, nothing of the partition is
 * deleted. Backups of the newest day of each kind are all protected (a tie protects both). */
export function retentionDecisions(input: RetentionInput): RetentionDecision[] {
  const { hsm, partition, retentionDays, today } = input;
  const mine = input.backups
    .map((b) => ({ ...b, day: backupDay(b.label, hsm, partition) }))
    .filter((b): b is { label: string; objects: number; day: Date } => b.day !== undefined)
    .sort((a, b) => b.day.getTime() - a.day.getTime() || a.label.localeCompare(b.label));
  const verified = new Map((input.proof?.verified ?? []).map((v) => [v.label, v.objects]));
  const complete = (b: { label: string; objects: number }) =>
    b.objects > 0 && (b.objects === input.sourceObjects || verified.get(b.label) === b.objects);
  const proven = new Set(input.proof?.provenLabels ?? []);
  const newestDay = (list: { day: Date }[]) => list[0]?.day.getTime();
  const newestComplete = newestDay(mine.filter(complete));
  const newestProven = newestDay(mine.filter((b) => proven.has(b.label)));
  const since = today - retentionDays * DAY_MS;
  return mine.map((b) => {
    const age = Math.round((today - b.day.getTime()) / DAY_MS);
    const decided = (del: boolean, reason: string) => ({
      label: b.label,
      day: b.day.toISOString().slice(0, 10),
      objects: b.objects,
      delete: del,
      reason,
    });
    if (complete(b) && b.day.getTime() === newestComplete)
      return decided(false, `the newest complete backup of ${partition}`);
    if (proven.has(b.label) && b.day.getTime() === newestProven)
      return decided(false, `the newest backup of ${partition} a drill proved restorable`);
    if (b.day.getTime() >= since)
      return decided(false, `within the retention (${age} days old, kept ${retentionDays})`);
    if (newestComplete === undefined)
      return decided(
        false,
        `past the retention (${age} days old), but no backup of ${partition} is known complete: nothing of it is deleted`,
      );
    return decided(true, `past the retention (${age} days old, kept ${retentionDays})`);
  });
}

const partitionsOf = (args: { partitions: string }) => args.partitions.split(',').filter(Boolean);
const todayUtc = () => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
};

/** The decisions for every partition of the step, from a fresh read of the Backup HSM's list, the
 * appliance's partitions and the ceremonies' proofs. Any of them unreadable fails the step. */
async function decide(ctx: OperationContext, args: OperationArgs<'backup.retentionHolds'>) {
  const hsm = ctx.hsm ?? '';
  const { slot, backups } = await readBackups(ctx.backupDevice());
  const partitions = await readPartitions(ctx.device());
  const { client, info } = Context.current();
  const proofs = await readBackupProofs(client, info.taskQueue, hsm);
  const today = todayUtc();
  const decisions = partitionsOf(args).map((partition) => ({
    partition,
    backups: retentionDecisions({
      hsm,
      partition,
      backups,
      sourceObjects: partitions.find((p) => p.name === partition)?.objects,
      proof: proofs.partitions.find((p) => p.partition === partition),
      retentionDays: args.retentionDays,
      today,
    }),
  }));
  const toDelete = decisions.flatMap((d) => d.backups.filter((b) => b.delete).map((b) => b.label));
  return {
    slot,
    decisions,
    toDelete,
    state: {
      retentionDays: args.retentionDays,
      today: new Date(today).toISOString().slice(0, 10),
      partitions: decisions,
      toDelete,
      proofsRead: proofs.read,
    },
  };
}

/** Read-only, before the gate: which backups retention would delete and why each other is kept.
 * Present (nothing to do) when none would go. */
export const backupRetentionHolds = defineOperation('backup.retentionHolds', {
  probeOnly: true,
  async probe(ctx, args) {
    const { toDelete, state } = await decide(ctx, args);
    return { present: toDelete.length === 0, state };
  },
});

/** Delete, as the Backup HSM's SO, exactly the backups a fresh list shows past the retention and
 * not protected; each once. A label already gone is not in the list, so it is not sent again. */
export const backupDeleteExpired = defineOperation('backup.deleteExpired', {
  async probe(ctx, args) {
    const { toDelete, state } = await decide(ctx, args);
    return { present: toDelete.length === 0, state };
  },
  async act(ctx, args) {
    const { slot, toDelete } = await decide(ctx, args);
    const ws = ctx.backupDevice();
    const so = await ws.secret('backupHsmSo');
    const commands: string[] = [];
    ctx.markActing();
    for (const label of toDelete) {
      const command = `partition archive delete -slot ${slot} -partition ${label}`;
      try {
        await ws.run(command, { answers: archiveDeleteAnswers(so), secrets: [so] });
      } catch (err) {
        // refused: fine only if the list no longer holds it (gone meanwhile); the list decides, not the error's words
        if (!(err instanceof LunaCommandError) || (await readBackups(ws)).backups.some((b) => b.label === label))
          throw err;
      }
      commands.push(command);
    }
    return { commands: ['partition archive list', ...commands] };
  },
  // LunaCM runs in this session: a lost session ends it, so one probe after a loss decides
  resumeWindowMs: 0,
});
