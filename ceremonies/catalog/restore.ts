import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { hsmEntry, type Inventory } from '../inventory';
import { BackupLabel, LunaName } from '../operation-args';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { backupWorkstation } from './backup';
import { approvalGate, BoolParam, check, device, GateParams, planFrame, requireInventory } from './common';
import type { PlanContext } from './types';

export const RestoreParamsSchema = z
  .object({
    ...GateParams,
    /** The partition of this HSM the backup is restored into. */
    partition: LunaName.describe(
      'the partition of this HSM the backup is restored into (it must exist: create it with partition-create first)',
    ),
    /** The backup partition's label on the Luna Backup HSM (`partition archive list`). */
    backup: BackupLabel.describe(
      "the backup partition's label on the Backup HSM, as `partition archive list` shows it (a backup ceremony names it `<hsm>-<partition>-<yyyymmdd>-<tag>`)",
    ),
    /** The partition the backup was made of (default: `partition`, a partition's own backup). */
    source: LunaName.optional().describe(
      "the partition the backup was made of (default: `partition`); its inventory `domain` must be the target's",
    ),
    /** The HSM (inventory name) the backup was made on (default: this one): after a unit is
     * replaced, its partitions' backups are restored to the new unit. */
    sourceHsm: SlugSchema.optional().describe(
      'the HSM (inventory name) the backup was made on (default: this one), e.g. after a unit was replaced',
    ),
    /** Restore into a partition that already holds objects (the backup's are added to them):
     * refused unless asked for, and then approved at a gate of its own. */
    intoNonEmpty: BoolParam.describe(
      'restore into a partition that already holds objects: adds the gate `approve-into-non-empty`',
    ),
  })
  .strict();

/** What a restore needs from the inventory, named before anyone approves it (the values stay
 * references): the Backup HSM SO, the target's Crypto Officer and cloning domain, and the source
 * partition's cloning domain (which the target's must be). */
export function requireRestoreSecrets(
  inventory: Inventory,
  hsm: string,
  backupName: string,
  target: string,
  source: { hsm: string; partition: string },
): void {
  const backup = own(inventory.backupDevices, backupName);
  requireInventory(
    backup?.credentials.backupHsmSo,
    `backupDevices.${backupName}.credentials.backupHsmSo`,
    "for a restore (the Backup HSM's SO password)",
  );
  const credentials = own(hsmEntry(inventory, hsm).partitionCredentials, target);
  requireInventory(
    credentials?.co,
    `hsms.${hsm}.partitionCredentials.${target}.co`,
    "for a restore into it (the partition's Crypto Officer)",
  );
  requireInventory(
    credentials?.domain,
    `hsms.${hsm}.partitionCredentials.${target}.domain`,
    "for a restore into it (the partition's cloning domain)",
  );
  const sourceHsm = requireInventory(own(inventory.hsms, source.hsm), `hsms.${source.hsm}`, "for the backup's source");
  requireInventory(
    own(sourceHsm.partitionCredentials, source.partition)?.domain,
    `hsms.${source.hsm}.partitionCredentials.${source.partition}.domain`,
    "for a restore of its backup (the source partition's cloning domain)",
  );
}

/** Restore a backup partition of the on-prem Luna Backup HSM into a partition of this HSM (Thales,
 * LunaCM `partition archive restore`; "Backup/Restore Using Client-Connected Luna Backup HSM 7":
 * "You can restore a backup to the original source partition or to another Luna application
 * partition that shares the same cloning domain"). Refused before any gate: a backup that is not
 * there or is empty, versions the documentation rules out, a target of another cloning domain, and
 * a target that already holds objects unless `intoNonEmpty` asks for it (then its own gate). The
 * restore moves key material: the policy's key-material approval. */
export function buildRestorePlan({ request, inventory }: PlanContext): PlanInput {
  const p = RestoreParamsSchema.parse(request.params);
  const ws = backupWorkstation({ request, inventory }, 'for a restore');
  const source = p.source ?? p.partition;
  const sourceHsm = p.sourceHsm ?? request.hsm;
  requireRestoreSecrets(inventory, request.hsm, ws.name, p.partition, { hsm: sourceHsm, partition: source });
  const args = {
    partition: p.partition,
    source,
    label: p.backup,
    ...(p.sourceHsm ? { sourceHsm } : {}),
    intoNonEmpty: p.intoNonEmpty,
  };
  const of = `${p.backup} (a backup of ${sourceHsm === request.hsm ? '' : `${sourceHsm}'s `}${source})`;
  return {
    ...planFrame(request, inventory, `Restore ${of} into ${p.partition} of ${request.hsm}`),
    steps: [
      check(
        'vpn',
        `The backup workstation ${ws.name} answers over the VPN, and reaches ${request.hsm}'s NTLS port`,
        'vpn.check',
        {},
      ),
      check(
        'compatible',
        `The backup holds objects; ${p.partition} ${p.intoNonEmpty ? 'exists' : 'is empty'} and has ${source}'s cloning domain; the documentation allows the restore`,
        'restore.compatible',
        args,
        { precheck: true },
      ),
      ...approvalGate(inventory, request, p, 'approve', `Approve restoring ${of} into ${p.partition}`),
      ...(p.intoNonEmpty
        ? approvalGate(
            inventory,
            request,
            p,
            'approve-into-non-empty',
            `Approve restoring into ${p.partition} although it already holds objects: the backup's objects are added to them`,
          )
        : []),
      ws.register,
      ws.assign(p.partition),
      device(
        request,
        `restore-${p.partition}`,
        `Restore ${p.backup} into ${p.partition} as its Crypto Officer (LunaCM partition archive restore)`,
        'backup.restore',
        args,
      ),
      ws.revoke(p.partition),
      check(
        `verify-${p.partition}`,
        `${p.partition} holds ${p.intoNonEmpty ? 'at least ' : ''}as many objects as backup ${p.backup}`,
        'restore.verify',
        args,
      ),
    ],
  };
}
