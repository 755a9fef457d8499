import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { hsmEntry, type Inventory } from '../inventory';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { ValidationError } from '../validation';
import { backupWorkstation, standingOrGate } from './backup';
import { check, device, GateParams, ListParam, planFrame } from './common';
import { requireRestoreSecrets } from './restore';
import type { PlanContext } from './types';

export const RestoreDrillParamsSchema = z
  .object({
    ...GateParams,
    /** The partitions whose newest backup is drilled. */
    partitions: ListParam.describe('the partitions whose newest backup is drilled'),
    /** A standing pre-approval (inventory `standingApprovals`, ceremony restore-drill): scheduled
     * drills need nobody. */
    standingApproval: SlugSchema.optional().describe(
      'a standing pre-approval (`standingApprovals.<id>`, ceremony restore-drill, kinds reversible and key-material, naming every drilled partition and the backup device) instead of a gate',
    ),
  })
  .strict();

/** The scratch partition a drill of `partition` restores into: the one of the HSM's
 * `scratchPartitions` whose cloning domain reference is the partition's (a backup restores only
 * into a partition of its cloning domain). */
export function scratchPartitionFor(inventory: Inventory, hsm: string, partition: string): string {
  const entry = hsmEntry(inventory, hsm);
  const domain = own(entry.partitionCredentials, partition)?.domain;
  const problem = (text: string) => new ValidationError('inventory', [text]);
  if (!entry.scratchPartitions?.length)
    throw problem(
      `hsms.${hsm}.scratchPartitions: required for a restore drill (a partition kept for drills, with its Crypto Officer and the drilled partitions' cloning domain in partitionCredentials)`,
    );
  if (!domain)
    throw problem(
      `hsms.${hsm}.partitionCredentials.${partition}.domain: required for a restore drill of ${partition} (its cloning domain)`,
    );
  if (entry.scratchPartitions.includes(partition))
    throw problem(`${partition} is one of hsms.${hsm}.scratchPartitions: a scratch partition is not drilled`);
  const scratch = entry.scratchPartitions.find((s) => own(entry.partitionCredentials, s)?.domain === domain);
  if (!scratch) {
    throw problem(
      `hsms.${hsm}.scratchPartitions: none has ${partition}'s cloning domain (partitionCredentials.${partition}.domain is ${domain}); a backup restores only into a partition of its own cloning domain`,
    );
  }
  return scratch;
}

/** A restore drill (a backup is proven only by a restore): for each partition, its newest backup
 * on the Luna Backup HSM is restored into a scratch partition of the same cloning domain, compared
 * with the backup (`compare-<p>`, op `restore.verify`: the drill's proof), and the scratch
 * partition is cleared again (LunaCM `partition clear`). What cannot work (no backup, an empty
 * one, a scratch partition that is not empty, versions the documentation rules out) is refused
 * before any gate, and the requester and operators are told. Runnable on a schedule under a
 * standing approval. */
export function buildRestoreDrillPlan({ request, inventory }: PlanContext): PlanInput {
  const p = RestoreDrillParamsSchema.parse(request.params);
  const ws = backupWorkstation({ request, inventory }, 'for a restore drill');
  const drills = p.partitions.map((partition) => ({
    partition,
    scratch: scratchPartitionFor(inventory, request.hsm, partition),
  }));
  for (const { partition, scratch } of drills)
    requireRestoreSecrets(inventory, request.hsm, ws.name, scratch, { hsm: request.hsm, partition });
  const args = (d: (typeof drills)[number]) => ({ partition: d.scratch, source: d.partition, intoNonEmpty: false });
  return {
    ...planFrame(
      request,
      inventory,
      `Restore drill of ${p.partitions.join(', ')} on ${request.hsm}: the newest backup of each, into a scratch partition`,
    ),
    steps: [
      check(
        'vpn',
        `The backup workstation ${ws.name} answers over the VPN, and reaches ${request.hsm}'s NTLS port`,
        'vpn.check',
        {},
      ),
      ...drills.map((d) =>
        check(
          `ready-${d.partition}`,
          `The newest backup of ${d.partition} holds objects; scratch partition ${d.scratch} is empty and has its cloning domain; the documentation allows the restore`,
          'restore.compatible',
          args(d),
          { precheck: true },
        ),
      ),
      ...standingOrGate(
        { request, inventory },
        p,
        `Approve a restore drill of ${p.partitions.join(', ')}`,
        'this restore drill',
      ),
      ws.register,
      ...drills.flatMap((d) => [
        ws.assign(d.scratch, `visible-${d.partition}`),
        device(
          request,
          `restore-${d.partition}`,
          `Restore the newest backup of ${d.partition} (the one ready-${d.partition} found) into scratch partition ${d.scratch} as its Crypto Officer`,
          'backup.restore',
          { ...args(d), labelFrom: `ready-${d.partition}` },
          { requires: [`ready-${d.partition}`, `visible-${d.partition}`] },
        ),
        check(
          `compare-${d.partition}`,
          `Scratch partition ${d.scratch} holds as many objects as the backup restored`,
          'restore.verify',
          { ...args(d), labelFrom: `restore-${d.partition}` },
          { requires: [`restore-${d.partition}`] },
        ),
        device(
          request,
          `clear-${d.partition}`,
          `Clear scratch partition ${d.scratch} again (LunaCM partition clear, as its Crypto Officer)`,
          'scratch.clear',
          { partition: d.scratch },
          { requires: [`visible-${d.partition}`] },
        ),
        ws.revoke(d.scratch, `revoke-${d.partition}`, `visible-${d.partition}`),
      ]),
    ],
  };
}
