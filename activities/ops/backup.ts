import { createHash } from 'node:crypto';
import { own } from '../../ceremonies/own';
import { backupCompatibilityProblems } from '../../ceremonies/backup-compatibility';
import {
  backupHsmSlot,
  readBackupHsm,
  readBackups,
  readHsmShow,
  readLunacmClientVersion,
  readPartitions,
  readRoleLoginAttemptsLeft,
  readSlots,
} from '../device/queries';
import {
  IncompleteBackup,
  LunaCommandError,
  RoleLoginRefused,
  UnreadableOutput,
  VerificationFailed,
} from '../device/errors';
import { archiveBackupAnswers, roleLoginAnswers } from '../device/lunacm-answers';
import { SecretUnavailable } from '../device/secrets';
import type { OperationArgs } from '../../ceremonies/operations';
import { defineOperation, type OperationContext } from './operation';

// LunaCM shows a backup partition's name and object count, nothing of where it came from or when
// (the Source Serial and Created columns this once read are documented nowhere). So the name
// says it, as a runbook recommends ("a backup partition name that shows source and date"):
// `<hsm>-<partition>-<yyyymmdd>-<tag>`, the tag a hash of the ceremony id, so that a retry of the
// same ceremony finds its own backup whatever day it runs.

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** `<hsm>-<partition>`, cut to fit a 64-character label with its date and tag (a long one keeps
 * its start and ends in a hash of the whole, so two long names never share a prefix). */
function sourceName(hsm: string, partition: string): string {
  const raw = `${hsm}-${partition}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  return raw.length <= 46 ? raw : `${raw.slice(0, 37)}-${hash(raw, 8)}`;
}

const ymd = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '');
const escape = (text: string) => text.replace(/[.]/g, '\\.');

/** The label a ceremony gives the backup of a partition it makes on `date`. */
export function ceremonyBackupLabel(hsm: string, partition: string, ceremonyId: string, date = new Date()): string {
  return `${sourceName(hsm, partition)}-${ymd(date)}-${hash(ceremonyId, 8)}`;
}

/** The day a backup of this HSM's partition was made, read from its label; undefined for a label
 * that is not one of a ceremony's backups of it. */
export function backupDay(label: string, hsm: string, partition: string): Date | undefined {
  const m = new RegExp(`^${escape(sourceName(hsm, partition))}-(\\d{4})(\\d\\d)(\\d\\d)-[0-9a-f]{8}$`).exec(label);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

async function sourcePartition(ctx: OperationContext, name: string) {
  const partition = (await readPartitions(ctx.device())).find((p) => p.name === name);
  if (!partition) throw new VerificationFailed(`there is no partition "${name}" on ${ctx.hsm}`);
  return partition;
}

/** This step's backup on the Backup HSM: the plan's label, or the one this ceremony made. */
async function findTarget(
  ctx: OperationContext,
  args: OperationArgs<'backup.verify'>,
): Promise<{ label: string; objects: number } | undefined> {
  const { backups } = await readBackups(ctx.backupDevice());
  if (args.label) return backups.find((b) => b.label === args.label);
  const tag = `-${hash(ctx.ceremonyId, 8)}`;
  const mine = backups.filter(
    (b) => b.label.endsWith(tag) && backupDay(b.label, ctx.hsm ?? '', args.partition) !== undefined,
  );
  if (mine.length > 1)
    throw new VerificationFailed(
      `several backups of ${args.partition} by this ceremony on ${ctx.backupDevice().ref}: ${mine.map((b) => b.label).join(', ')}`,
    );
  return mine[0];
}

/** The partition and its backup side by side: the backup is complete when it holds as many
 * objects as the partition (an empty or partial one is not a backup). */
async function compare(ctx: OperationContext, args: OperationArgs<'backup.verify'>) {
  const source = await sourcePartition(ctx, args.partition);
  const target = await findTarget(ctx, args);
  const state =
    target === undefined
      ? ('absent' as const)
      : target.objects === source.objects
        ? ('complete' as const)
        : ('incomplete' as const);
  return { source, target, state };
}

/** A secret of the partition (inventory: hsms.<hsm>.partitionCredentials.<partition>): its
 * Crypto Officer's password (`co`) or its cloning domain (`domain`). */
export async function partitionSecret(
  ctx: OperationContext,
  partition: string,
  which: 'co' | 'domain',
): Promise<string> {
  const ref = own(own(ctx.inventory().hsms, ctx.hsm ?? '')?.partitionCredentials, partition)?.[which];
  const what =
    which === 'co' ? 'Crypto Officer secret' : 'cloning domain (its owner chose it at partition init -domain)';
  if (!ref)
    throw new SecretUnavailable(
      `hsms.${ctx.hsm}.partitionCredentials.${partition}.${which}: the inventory has no ${what} for partition ${partition}`,
    );
  return ctx.device().secretAt(ref);
}

/** Log the Crypto Officer in on the current slot, after reading how many attempts it has left
 * (LunaCM `role show`): a password is typed only when one wrong one could not lock the role out
 * (Thales, "Logging In to the Application Partition": ten failed CO logins lock CO and CU out,
 * partition policy 20 may set fewer). */
export async function cryptoOfficerLogin(ctx: OperationContext, partition: string, co: string): Promise<void> {
  const ws = ctx.backupDevice();
  let left: number;
  try {
    left = await readRoleLoginAttemptsLeft(ws, 'co');
  } catch (err) {
    if (err instanceof LunaCommandError || err instanceof UnreadableOutput) {
      throw new RoleLoginRefused(
        `${ws.ref} (partition ${partition})`,
        'co',
        `how many login attempts the Crypto Officer has left could not be read (${err.message})`,
      );
    }
    throw err;
  }
  if (left <= 1) {
    throw new RoleLoginRefused(
      `${ws.ref} (partition ${partition})`,
      'co',
      left === 0
        ? 'the Crypto Officer is locked out (the Partition SO resets it)'
        : 'the Crypto Officer has 1 login attempt left, and one wrong password would lock it out: check hsms.<hsm>.partitionCredentials.<partition>.co, then log in by hand once to reset the count',
    );
  }
  await ws.run('role login -name co', { answers: roleLoginAnswers(co), secrets: [co] });
}

/** The slot the backup workstation's LunaCM shows for a partition of the appliance (assigned to
 * its client), and that partition's Crypto Officer secret: read before any command is sent. */
export async function visiblePartition(
  ctx: OperationContext,
  slots: { id: number; serial: string }[],
  partition: { name: string; serial: string },
): Promise<{ slot: number; co: string }> {
  const slot = slots.find((s) => s.serial === partition.serial)?.id;
  if (slot === undefined) {
    throw new VerificationFailed(
      `partition ${partition.name} (${partition.serial}) is not visible from ${ctx.backupDevice().ref}: assign it to the backup workstation's client first`,
    );
  }
  return { slot, co: await partitionSecret(ctx, partition.name, 'co') };
}

/** Select the partition's slot and log its Crypto Officer in (the interlock above first): the
 * commands sent, for the evidence. */
export async function cryptoOfficerSession(
  ctx: OperationContext,
  partition: string,
  { slot, co }: { slot: number; co: string },
): Promise<string[]> {
  await ctx.backupDevice().run(`slot set -slot ${slot}`);
  await cryptoOfficerLogin(ctx, partition, co);
  return [`slot set -slot ${slot}`, 'role show -name co', 'role login -name co'];
}

/** Back a partition up to the on-prem Luna Backup HSM: LunaCM on the backup workstation, logged
 * in to the partition's slot as its Crypto Officer (Thales, `partition archive backup`). */
export const backupPartition = defineOperation('backup.partition', {
  // also the verify: the backup is complete now
  async probe(ctx, args) {
    const { source, target, state } = await compare(ctx, args);
    return {
      present: state === 'complete',
      state: {
        target: state,
        label: target?.label ?? null,
        backupObjects: target?.objects ?? null,
        sourceObjects: source.objects,
      },
    };
  },
  async act(ctx, args) {
    const { partition } = args;
    const { source, target, state } = await compare(ctx, args);
    const ws = ctx.backupDevice();
    if (state === 'complete') return { commands: [] };
    if (target) {
      // a backup partition of this step that is not a backup: replaced only on an operator's word
      if (args.label)
        throw new IncompleteBackup(
          ws.ref,
          target,
          source.objects,
          partition,
          'the plan names this label, so it is not replaced: delete it on the Backup HSM by hand, or back up under another label',
        );
      if (!ctx.rerunBy) throw new IncompleteBackup(ws.ref, target, source.objects, partition, REPLACE_OR_ABORT);
    }
    const label = target?.label ?? args.label ?? ceremonyBackupLabel(ctx.hsm ?? '', partition, ctx.ceremonyId);
    const slots = await readSlots(ws);
    const backupSlot = backupHsmSlot(slots, ws.ref);
    const session = await visiblePartition(ctx, slots, { name: partition, serial: source.serial });
    // the backup partition gets the source partition's own cloning domain (Thales, `partition
    // archive backup`: any other leaves an empty backup partition)
    const [so, domain] = [await ws.secret('backupHsmSo'), await partitionSecret(ctx, partition, 'domain')];
    const loggedIn = await cryptoOfficerSession(ctx, partition, session);
    const command = `partition archive backup -slot ${backupSlot} -partition ${label}${target ? ' -replace' : ''}`;
    ctx.markActing();
    try {
      await ws.run(command, {
        // creating (or replacing) the backup partition asks for the Backup HSM SO and the domain
        // (perhaps the domain twice, to confirm it); any other question fails the step unanswered
        answers: archiveBackupAnswers({ so, domain, replacing: target !== undefined }),
        secrets: [so, domain, session.co],
      });
    } catch (err) {
      // a failed backup may leave a backup partition behind (a domain mismatch leaves it empty)
      const after = err instanceof LunaCommandError ? await compare(ctx, { partition, label }) : undefined;
      if (after?.target && after.state === 'incomplete')
        throw new IncompleteBackup(
          ws.ref,
          after.target,
          source.objects,
          partition,
          `${REPLACE_OR_ABORT}; LunaCM said: ${err instanceof Error ? err.message : String(err)}`,
        );
      throw err;
    }
    return {
      commands: ['partition list', 'slot list', `partition archive list -slot ${backupSlot}`, ...loggedIn, command],
    };
  },
  // LunaCM runs in this session: when the session is lost, the hangup ends LunaCM and its backup
  // with it, so after a loss nothing is still running and one probe decides
  resumeWindowMs: 0,
});

const REPLACE_OR_ABORT =
  'retry (ceremony resolve --action retry) replaces it with `partition archive backup -replace` once the cause is fixed (a cloning-domain mismatch leaves an empty backup partition: check hsms.<hsm>.partitionCredentials.<partition>.domain); abort leaves it on the Backup HSM, to be deleted by hand';

/** The backup holds as many objects as the partition it came from. */
export const backupVerify = defineOperation('backup.verify', {
  async probe(ctx, args) {
    const { source, target, state } = await compare(ctx, args);
    return {
      present: state === 'complete',
      state: {
        sourceObjects: source.objects,
        backupObjects: target?.objects ?? null,
        label: target?.label ?? args.label ?? null,
      },
    };
  },
  explain: (args, s) =>
    s.backupObjects === null
      ? `there is no backup of partition ${args.partition}${args.label ? ` named ${args.label}` : ' by this ceremony'}`
      : `backup "${String(s.label)}" holds ${String(s.backupObjects)} objects, partition ${args.partition} holds ${String(s.sourceObjects)}`,
});

/** Every partition of the HSM has a complete backup made in the last `maxAgeDays` days (before a
 * zeroize): named for this HSM and partition, dated, and holding as many objects. */
export const backupRecent = defineOperation('backup.recent', {
  async probe(ctx, { maxAgeDays }) {
    // an empty scratch partition of the inventory (a restore drill's, cleared after each drill)
    // holds nothing to back up
    const scratch = own(ctx.inventory().hsms, ctx.hsm ?? '')?.scratchPartitions ?? [];
    const partitions = (await readPartitions(ctx.device())).filter(
      (p) => !(scratch.includes(p.name) && p.objects === 0),
    );
    const { backups } = await readBackups(ctx.backupDevice());
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const since = today - maxAgeDays * 86_400_000;
    const covering = (p: { name: string; objects: number }) =>
      backups
        .filter(
          (b) =>
            b.objects === p.objects && (backupDay(b.label, ctx.hsm ?? '', p.name)?.getTime() ?? -Infinity) >= since,
        )
        .map((b) => b.label);
    const found = partitions.map((p) => ({ partition: p.name, backups: covering(p) }));
    const uncovered = found.filter((f) => f.backups.length === 0).map((f) => f.partition);
    return {
      present: uncovered.length === 0,
      state: {
        partitions: partitions.map((p) => p.name),
        covered: found.filter((f) => f.backups.length > 0),
        uncovered,
        maxAgeDays,
      },
    };
  },
  explain: ({ maxAgeDays }, s) =>
    `no verified backup newer than ${maxAgeDays} days of: ${(s.uncovered as string[]).join(', ')}`,
});

/** The documentation allows this backup: the HSM's firmware (`hsm show`, or the firmware it will
 * run: `partitionFirmware`), the Backup HSM's model and firmware (LunaCM `slot list`) and the
 * workstation's Luna client version (LunaCM's banner), against ceremonies/backup-compatibility.ts. */
export const backupCompatible = defineOperation('backup.compatible', {
  async probe(ctx, { partitionFirmware }) {
    const firmware = partitionFirmware ?? (await readHsmShow(ctx.device())).firmware;
    const ws = ctx.backupDevice();
    const backupHsm = await readBackupHsm(ws);
    const clientVersion = await readLunacmClientVersion(ws);
    const problems = backupCompatibilityProblems({ partitionFirmware: firmware, backupHsm, clientVersion });
    return {
      present: problems.length === 0,
      state: {
        partitionFirmware: firmware,
        planned: partitionFirmware !== undefined,
        backupHsmModel: backupHsm.model,
        backupHsmFirmware: backupHsm.firmware,
        clientVersion,
        problems,
      },
    };
  },
  explain: (_args, s) => `the documentation rules this backup out: ${(s.problems as string[]).join('; ')}`,
});
