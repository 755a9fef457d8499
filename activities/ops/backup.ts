import { createHash } from 'node:crypto';
import { readBackups as backups, readPartitions, readSlots } from '../device/queries';
import { VerificationFailed } from '../device/errors';
import type { DeviceAccess } from '../device/device-access';
import type { OperationArgs } from '../../ceremonies/operations';
import { defineOperation, type OperationContext } from './operation';

/** Default label: `<ceremony id>-<partition>`, so a retry of the same ceremony finds its backup.
 * Labels hold 64 characters: a longer name keeps its start and ends in a hash of the whole, so two
 * long names never share a label. */
export function backupLabel(ceremonyId: string, partition: string, label?: string): string {
  if (label) return label;
  const raw = `${ceremonyId}-${partition}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  return raw.length <= 64 ? raw : `${raw.slice(0, 51)}-${createHash('sha256').update(raw).digest('hex').slice(0, 12)}`;
}

async function sourcePartition(ctx: OperationContext, name: string) {
  const partition = (await readPartitions(ctx.device())).find((p) => p.name === name);
  if (!partition) throw new VerificationFailed(`there is no partition "${name}" on ${ctx.hsm}`);
  return partition;
}

async function slotFor(d: DeviceAccess, serial: string): Promise<number | undefined> {
  return (await readSlots(d)).find((s) => s.serial === serial)?.id;
}

/** The partition and its backup side by side: matched when the backup came from this partition
 * and holds as many objects. */
async function compareWithBackup(ctx: OperationContext, args: OperationArgs<'backup.verify'>) {
  const label = backupLabel(ctx.ceremonyId, args.partition, args.label);
  const source = await sourcePartition(ctx, args.partition);
  const found = (await backups(ctx.backupDevice())).find((b) => b.label === label);
  return { label, source, found, matches: found !== undefined && found.sourceSerial === source.serial && found.objects === source.objects };
}

/** Back a partition up to the on-prem Luna Backup HSM, as a backup partition named `label`. */
export const backupPartition = defineOperation('backup.partition', {
  async probe(ctx, args) {
    const label = backupLabel(ctx.ceremonyId, args.partition, args.label);
    const found = (await backups(ctx.backupDevice())).find((b) => b.label === label);
    return { present: found !== undefined, state: { label, backup: found ?? null } };
  },
  async act(ctx, args) {
    const { partition } = args;
    const label = backupLabel(ctx.ceremonyId, partition, args.label);
    const source = await sourcePartition(ctx, partition);
    const backup = ctx.backupDevice();
    const slot = await slotFor(backup, source.serial);
    if (slot === undefined) {
      throw new VerificationFailed(`partition ${partition} (${source.serial}) is not visible from ${backup.ref}: assign it to the backup workstation's client first`);
    }
    const command = `partition archive backup -slot ${slot} -partition ${label}`;
    await backup.run(command);
    return { commands: ['partition list', 'slot list', command] };
  },
  async verify(ctx, args) {
    const { source, found, matches } = await compareWithBackup(ctx, args);
    return { present: matches, state: { source, backup: found ?? null } };
  },
});

/** The backup holds as many objects as the partition it came from. */
export const backupVerify = defineOperation('backup.verify', {
  async probe(ctx, args) {
    const { label, source, found, matches } = await compareWithBackup(ctx, args);
    return { present: matches, state: { sourceObjects: source.objects, backupObjects: found?.objects ?? null, label } };
  },
  explain: (args, s) =>
    s.backupObjects === null
      ? `there is no backup "${String(s.label)}" of partition ${args.partition}`
      : `backup "${String(s.label)}" holds ${String(s.backupObjects)} objects, partition ${args.partition} holds ${String(s.sourceObjects)}`,
});

/** Every partition of the HSM has a matching backup newer than `maxAgeDays` (before a zeroize). */
export const backupRecent = defineOperation('backup.recent', {
  async probe(ctx, { maxAgeDays }) {
    const partitions = await readPartitions(ctx.device());
    const all = await backups(ctx.backupDevice());
    const since = Date.now() - maxAgeDays * 86_400_000;
    const uncovered = partitions
      .filter((p) => !all.some((b) => b.sourceSerial === p.serial && b.objects === p.objects && Date.parse(b.created) >= since))
      .map((p) => p.name);
    return { present: uncovered.length === 0, state: { partitions: partitions.map((p) => p.name), uncovered, maxAgeDays } };
  },
  explain: ({ maxAgeDays }, s) => `no verified backup newer than ${maxAgeDays} days of: ${(s.uncovered as string[]).join(', ')}`,
});
