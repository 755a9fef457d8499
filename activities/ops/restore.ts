import { createHash, timingSafeEqual } from 'node:crypto';
import { own } from '../../ceremonies/own';
import { restoreCompatibilityProblems } from '../../ceremonies/backup-compatibility';
import type { OperationArgs } from '../../ceremonies/operations';
import {
  backupHsmSlot,
  readBackupHsm,
  readBackups,
  readHsmShow,
  readLunacmClientVersion,
  readPartitions,
  readSlots,
} from '../device/queries';
import { IncompleteRestore, VerificationFailed } from '../device/errors';
import { archiveRestoreAnswers } from '../device/lunacm-answers';
import { FailureType, nonRetryable } from '../errors';
import { backupDay, cryptoOfficerSession, partitionSecret, visiblePartition } from './backup';
import { defineOperation, type OperationContext } from './operation';
import type { OperationState } from '../../contract/operation-states';

// Restoring a backup partition of the Luna Backup HSM into an application partition (Thales,
// LunaCM `partition archive restore`; "Backup/Restore Using Client-Connected Luna Backup HSM 7"):
// on the backup workstation, the target partition's slot is selected, its Crypto Officer logs in,
// and the backup's objects are cloned into it. The target must share the backup's cloning domain;
// a restore adds the backup's objects to what the partition holds, so it goes into a new or empty
// partition unless the plan says otherwise (and its approvers approved that separately).

type Backup = { label: string; objects: number };

/** The end of a label a backup ceremony gives (activities/ops/backup.ts): `-<yyyymmdd>-<tag>`. */
const CEREMONY_LABEL = /-\d{8}-[0-9a-f]{8}$/;

/** The backup this step restores: the plan's label, or (a drill) the newest backup of `source` by
 * the day its label names; backups of one day are taken in the order the Backup HSM lists them
 * (guessed: LunaCM prints no creation time). Undefined when there is none. */
export async function restoredBackup(
  ctx: OperationContext,
  args: { source: string; label?: string; labelFrom?: string; sourceHsm?: string },
): Promise<Backup | undefined> {
  const { backups } = await readBackups(ctx.backupDevice());
  const label = args.label ?? pinnedLabel(ctx, args.labelFrom);
  if (label) return backups.find((b) => b.label === label);
  const hsm = args.sourceHsm ?? ctx.hsm ?? '';
  let newest: { backup: Backup; day: number } | undefined;
  for (const backup of backups) {
    const day = backupDay(backup.label, hsm, args.source)?.getTime();
    if (day !== undefined && (!newest || day >= newest.day)) newest = { backup, day };
  }
  return newest?.backup;
}

/** The label the required step `labelFrom` verified; a step that has none fails (never "the
 * newest" in its place). */
function pinnedLabel(ctx: OperationContext, labelFrom: string | undefined): string | undefined {
  if (labelFrom === undefined) return undefined;
  // the steps a labelFrom names: a drill's precheck (restore.compatible) or its restore (backup.restore)
  const label = (
    own(ctx.earlierState, labelFrom) as
      Partial<OperationState<'restore.compatible'> | OperationState<'backup.restore'>> | undefined
  )?.label;
  if (typeof label !== 'string')
    throw nonRetryable(
      FailureType.invalidArguments,
      `labelFrom "${labelFrom}" must name a step this one requires, which verified a backup label`,
    );
  return label;
}

const describeBackup = (args: { source: string; label?: string }) =>
  args.label ? `backup ${args.label}` : `the newest backup of ${args.source}`;

async function targetPartition(ctx: OperationContext, name: string) {
  const partition = (await readPartitions(ctx.device())).find((p) => p.name === name);
  if (!partition) throw new VerificationFailed(`there is no partition "${name}" on ${ctx.hsm}`);
  return partition;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether the inventory gives the target the cloning domain of the backup's source partition: the
 * same reference, or two references holding the same value (compared here, never recorded). */
async function sameDomain(
  ctx: OperationContext,
  args: OperationArgs<'restore.compatible'>,
): Promise<{ domain: string; problem?: string }> {
  const inventory = ctx.inventory();
  const sourceHsm = args.sourceHsm ?? ctx.hsm ?? '';
  const targetRef = own(own(inventory.hsms, ctx.hsm ?? '')?.partitionCredentials, args.partition)?.domain;
  const sourceRef = own(own(inventory.hsms, sourceHsm)?.partitionCredentials, args.source)?.domain;
  const where = (hsm: string, p: string) => `hsms.${hsm}.partitionCredentials.${p}.domain`;
  if (!targetRef)
    return {
      domain: 'unknown',
      problem: `${where(ctx.hsm ?? '', args.partition)}: the inventory names no cloning domain for the target partition`,
    };
  if (!sourceRef)
    return {
      domain: 'unknown',
      problem: `${where(sourceHsm, args.source)}: the inventory names no cloning domain for the backup's source partition`,
    };
  if (targetRef === sourceRef) return { domain: 'same reference' };
  const [target, source] = [await ctx.device().secretAt(targetRef), await ctx.device().secretAt(sourceRef)];
  if (timingSafeEqual(digest(target), digest(source))) return { domain: 'same value' };
  return {
    domain: 'differs',
    problem: `the inventory gives partition ${args.partition} (${where(ctx.hsm ?? '', args.partition)}) another cloning domain than the backup's source partition ${args.source} (${where(sourceHsm, args.source)}): a backup restores only into a partition of the same cloning domain (Thales, "Backup/Restore Using Client-Connected Luna Backup HSM 7"; \`partition archive restore\`: CKR_CERTIFICATE_INVALID)`,
  };
}

/** Everything the documentation and the devices let us check before anyone is asked: the backup
 * is on the Backup HSM and holds objects, the target partition exists (and is empty, unless the
 * plan restores into a partition that holds objects), the firmware and client versions allow the
 * restore, and the target has the backup's cloning domain. */
export const restoreCompatible = defineOperation('restore.compatible', {
  async probe(ctx, args) {
    const problems: string[] = [];
    const backup = await restoredBackup(ctx, args);
    const ws = ctx.backupDevice();
    const sourceHsm = args.sourceHsm ?? ctx.hsm ?? '';
    // a label a backup ceremony gave names its HSM and partition: it must name the stated source,
    // whose cloning domain is the one compared below
    if (args.label && CEREMONY_LABEL.test(args.label) && backupDay(args.label, sourceHsm, args.source) === undefined) {
      problems.push(
        `backup ${args.label} is not named as a backup of ${sourceHsm}'s partition ${args.source} (<hsm>-<partition>-<yyyymmdd>-<tag>): name the partition it was made of as source (and its HSM as sourceHsm)`,
      );
    }
    if (!backup)
      problems.push(`${describeBackup(args)} is not on the Backup HSM of ${ws.ref} (partition archive list)`);
    else if (backup.objects === 0)
      problems.push(
        `backup ${backup.label} on ${ws.ref} holds no objects: there is nothing to restore (an empty backup partition is what a cloning-domain mismatch leaves)`,
      );
    const target = await targetPartition(ctx, args.partition);
    if (target.objects > 0 && !args.intoNonEmpty) {
      problems.push(
        `partition ${args.partition} already holds ${target.objects} objects: a restore adds the backup's objects to them; restore into a new or empty partition (Thales), or ask for intoNonEmpty=true, which its own approval gate decides`,
      );
    }
    const firmware = (await readHsmShow(ctx.device())).firmware;
    const backupHsm = await readBackupHsm(ws);
    const clientVersion = await readLunacmClientVersion(ws);
    problems.push(...restoreCompatibilityProblems({ partitionFirmware: firmware, backupHsm, clientVersion }));
    const domain = await sameDomain(ctx, args);
    if (domain.problem) problems.push(domain.problem);
    return {
      present: problems.length === 0,
      state: {
        partition: args.partition,
        source: args.source,
        label: backup?.label ?? args.label ?? null,
        backupObjects: backup?.objects ?? null,
        targetObjects: target.objects,
        partitionFirmware: firmware,
        backupHsmModel: backupHsm.model,
        backupHsmFirmware: backupHsm.firmware,
        clientVersion,
        domain: domain.domain,
        problems,
      },
    };
  },
  explain: (_args, s) => `the restore cannot work: ${s.problems.join('; ')}`,
});

/** The target and the backup side by side. An empty target is absent; one holding the backup's
 * count is present; anything else (an interrupted restore) is neither, and waits for an operator. */
async function compare(ctx: OperationContext, args: OperationArgs<'backup.restore'>) {
  const backup = await restoredBackup(ctx, args);
  if (!backup)
    throw new VerificationFailed(`${describeBackup(args)} is not on the Backup HSM of ${ctx.backupDevice().ref}`);
  const target = await targetPartition(ctx, args.partition);
  return { backup, target };
}

/** Restore a backup partition of the Luna Backup HSM into a partition of this HSM, with LunaCM on
 * the backup workstation as the target's Crypto Officer (Thales, `partition archive restore`). */
export const backupRestore = defineOperation('backup.restore', {
  async probe(ctx, args) {
    const { backup, target } = await compare(ctx, args);
    const state = {
      partition: args.partition,
      label: backup.label,
      backupObjects: backup.objects,
      targetObjects: target.objects,
    };
    // into a partition that held objects, the count before is not known here: never "present"
    if (args.intoNonEmpty) return { present: false, state };
    if (target.objects === backup.objects) return { present: true, state };
    if (target.objects !== 0) {
      throw new IncompleteRestore(
        args.partition,
        target.objects,
        backup.label,
        backup.objects,
        'it was empty before this restore, so the restore was interrupted or something else wrote to it: clear it (LunaCM partition clear) and retry, or abort',
      );
    }
    return { present: false, state };
  },
  verify: async (ctx, args) => {
    const { backup, target } = await compare(ctx, args);
    return {
      present: target.objects >= backup.objects,
      state: {
        partition: args.partition,
        label: backup.label,
        backupObjects: backup.objects,
        targetObjects: target.objects,
      },
    };
  },
  async act(ctx, args) {
    // into a partition that held objects, a lost attempt may have restored: sending it again
    // would add the objects twice, so an operator decides (the probe cannot tell)
    if (args.intoNonEmpty && ctx.earlierActAt !== undefined) {
      throw nonRetryable(
        FailureType.verificationFailed,
        `backup.restore: an earlier attempt sent the restore into ${args.partition} (which held objects before) and was lost: whether it ran cannot be read from the object count; check the partition's contents by hand before any retry`,
      );
    }
    const { backup, target } = await compare(ctx, args);
    const ws = ctx.backupDevice();
    const slots = await readSlots(ws);
    const backupSlot = backupHsmSlot(slots, ws.ref);
    const session = await visiblePartition(ctx, slots, { name: args.partition, serial: target.serial });
    const [so, domain] = [await ws.secret('backupHsmSo'), await partitionSecret(ctx, args.partition, 'domain')];
    const loggedIn = await cryptoOfficerSession(ctx, args.partition, session);
    const command = `partition archive restore -slot ${backupSlot} -partition ${backup.label}`;
    ctx.markActing();
    await ws.run(command, { answers: archiveRestoreAnswers({ so, domain }), secrets: [so, domain, session.co] });
    return {
      commands: ['partition list', 'slot list', `partition archive list -slot ${backupSlot}`, ...loggedIn, command],
    };
  },
  // LunaCM runs in this session: the hangup ends it, so after a loss one probe decides
  resumeWindowMs: 0,
});

/** The restored partition holds as many objects as the backup (more, when it held objects
 * before). The evidence names the backup's source partition, the label and both counts: a
 * restore drill's proof (CONTRACT: `compare-P`). */
export const restoreVerify = defineOperation('restore.verify', {
  async probe(ctx, args) {
    const backup = await restoredBackup(ctx, args);
    const target = await targetPartition(ctx, args.partition);
    const matches =
      backup !== undefined &&
      backup.objects > 0 &&
      (args.intoNonEmpty ? target.objects >= backup.objects : target.objects === backup.objects);
    return {
      present: matches,
      state: {
        partition: args.source,
        target: args.partition,
        label: backup?.label ?? args.label ?? null,
        backupObjects: backup?.objects ?? null,
        restoredObjects: target.objects,
      },
    };
  },
  explain: (args, s) =>
    s.backupObjects === null
      ? `${describeBackup(args)} is not on the Backup HSM`
      : `partition ${args.partition} holds ${String(s.restoredObjects)} objects after restoring backup ${String(s.label)}, which holds ${String(s.backupObjects)}`,
});

/** Clear a scratch partition of the inventory (LunaCM `partition clear`, as its Crypto Officer):
 * a drill's restored copy is deleted again. Refused for any partition the inventory does not name
 * as a scratch partition. */
export const scratchClear = defineOperation('scratch.clear', {
  async probe(ctx, { partition }) {
    const scratch = own(ctx.inventory().hsms, ctx.hsm ?? '')?.scratchPartitions ?? [];
    if (!scratch.includes(partition))
      throw nonRetryable(
        FailureType.invalidArguments,
        `scratch.clear: ${partition} is not one of hsms.${ctx.hsm}.scratchPartitions: it is never cleared`,
      );
    const target = await targetPartition(ctx, partition);
    return { present: target.objects === 0, state: { partition, objects: target.objects } };
  },
  async act(ctx, { partition }) {
    const target = await targetPartition(ctx, partition);
    const ws = ctx.backupDevice();
    const session = await visiblePartition(ctx, await readSlots(ws), { name: partition, serial: target.serial });
    const loggedIn = await cryptoOfficerSession(ctx, partition, session);
    ctx.markActing();
    await ws.run('partition clear -force', { secrets: [session.co] });
    return {
      commands: ['partition list', 'slot list', ...loggedIn, 'partition clear -force'],
    };
  },
  resumeWindowMs: 0,
});
