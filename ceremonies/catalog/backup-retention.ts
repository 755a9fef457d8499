import { z } from 'zod';
import { hsmEntry } from '../inventory';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { approvalGate, check, device, GateParams, ListParam, planFrame, requireInventory } from './common';
import type { PlanContext } from './types';

export const BackupRetentionParamsSchema = z
  .object({
    ...GateParams,
    partitions: ListParam.describe('the partitions whose backups are pruned'),
  })
  .strict();

/** Delete the backups of partitions past the inventory's retention (`hsms.<hsm>.backupRetentionDays`)
 * from the on-prem Luna Backup HSM: listed from the Backup HSM itself (LunaCM `partition archive
 * list`), shown before the gate with the reason each is kept or would go, then deleted as the
 * Backup HSM's SO (`partition archive delete`) once approved. Never the newest complete backup of
 * a partition, never the newest a drill proved restorable. Nothing past the retention: the
 * ceremony ends after the listing, nobody is asked. */
export function buildBackupRetentionPlan({ request, inventory }: PlanContext): PlanInput {
  const p = BackupRetentionParamsSchema.parse(request.params);
  const hsm = hsmEntry(inventory, request.hsm);
  const retentionDays = requireInventory(
    hsm.backupRetentionDays,
    `hsms.${request.hsm}.backupRetentionDays`,
    'for a backup retention (how many days a backup is kept)',
  );
  const backupName = requireInventory(hsm.backupDevice, `hsms.${request.hsm}.backupDevice`, 'for a backup retention');
  const backup = requireInventory(
    own(inventory.backupDevices, backupName),
    `backupDevices.${backupName}`,
    `by hsms.${request.hsm}.backupDevice`,
  );
  requireInventory(
    backup.credentials.backupHsmSo,
    `backupDevices.${backupName}.credentials.backupHsmSo`,
    "for a backup retention (the Backup HSM's SO deletes a backup partition)",
  );
  const args = { partitions: p.partitions.join(','), retentionDays };
  const which = `${p.partitions.join(', ')} of ${request.hsm}`;
  return {
    ...planFrame(
      request,
      inventory,
      `Delete the backups of ${which} older than ${retentionDays} days from ${backupName}`,
    ),
    steps: [
      check(
        'vpn',
        `The backup workstation ${backupName} answers over the VPN, and reaches ${request.hsm}'s NTLS port`,
        'vpn.check',
        {},
      ),
      check(
        'candidates',
        `List the partitions' backups on ${backupName}: which are older than ${retentionDays} days and would go, and why each other is kept (none would go: the ceremony ends here)`,
        'backup.retentionHolds',
        args,
        { completeIfPresent: true },
      ),
      ...approvalGate(
        inventory,
        request,
        p,
        'approve',
        `Approve deleting the backups of ${which} older than ${retentionDays} days (as listed by the step before)`,
      ),
      device(
        request,
        'delete-expired',
        `Delete from ${backupName}, as its SO, the backups a fresh list shows older than ${retentionDays} days (never the newest complete one, nor the newest a drill proved)`,
        'backup.deleteExpired',
        args,
      ),
    ],
  };
}
