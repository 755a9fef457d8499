import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { hsmEntry } from '../inventory';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { approvalGate, check, device, GateParams, ListParam, planFrame, requireInventory } from './common';
import type { PlanContext } from './types';

export const BackupParamsSchema = z
  .object({
    ...GateParams,
    partitions: ListParam,
    /** A standing pre-approval (inventory `standingApprovals`) instead of a gate: scheduled runs. */
    standingApproval: SlugSchema.optional(),
  })
  .strict();

/** Back partitions up to the on-prem Luna Backup HSM over the VPN (Thales, "Backup/Restore Using
 * Client-Connected Luna Backup HSM 7"): the documentation must allow the backup (HSM firmware,
 * Backup HSM model and firmware, Luna client version), checked before anyone is asked; the
 * workstation is registered as an NTLS client with its certificate (AzureHSMEssentials), each
 * partition is assigned to it, backed up from there with LunaCM as its Crypto Officer answering
 * the partition's own cloning domain, and revoked from it again (if this ceremony assigned it).
 * With `gate: false` the caller (a firmware upgrade) has already approved it. */
export function buildBackupPlan({ request, inventory }: PlanContext, options: { gate?: boolean } = {}): PlanInput {
  const p = BackupParamsSchema.parse(request.params);
  const hsm = hsmEntry(inventory, request.hsm);
  const backupName = requireInventory(hsm.backupDevice, `hsms.${request.hsm}.backupDevice`, 'for a backup');
  const backup = requireInventory(own(inventory.backupDevices, backupName), `backupDevices.${backupName}`, `by hsms.${request.hsm}.backupDevice`);
  const approval = (() => {
    if (options.gate === false) return [];
    if (p.standingApproval) {
      requireInventory(own(inventory.standingApprovals, p.standingApproval), `standingApprovals.${p.standingApproval}`, 'by the request');
      return [check('standing-approval', `Standing pre-approval ${p.standingApproval} covers this backup`, 'approval.standing', { id: p.standingApproval, partitions: p.partitions.join(',') })];
    }
    return approvalGate(inventory, request, p, 'approve', `Approve backing up ${p.partitions.join(', ')}`);
  })();
  // what the backup asks for, named before anyone approves it (the values stay references)
  requireInventory(backup.credentials.backupHsmSo, `backupDevices.${backupName}.credentials.backupHsmSo`, "for a backup (the Backup HSM's SO password)");
  for (const partition of p.partitions) {
    requireInventory(own(hsm.partitionCredentials, partition)?.co, `hsms.${request.hsm}.partitionCredentials.${partition}.co`, "for its backup (the partition's Crypto Officer)");
    requireInventory(own(hsm.partitionCredentials, partition)?.domain, `hsms.${request.hsm}.partitionCredentials.${partition}.domain`, "for its backup (the partition's cloning domain, chosen at partition init -domain)");
  }
  const certificate = requireInventory(
    own(inventory.clientCertificates, backup.clientName),
    `clientCertificates.${backup.clientName}`,
    `(the backup workstation's NTLS certificate) to register ${backupName} as a client of ${request.hsm}`,
  );
  const clientHost = backup.clientHost ?? backup.host;
  const compatible = `The documentation allows backing up ${request.hsm}'s partitions to ${backupName}'s Backup HSM (HSM firmware, Backup HSM model and firmware, Luna client version)`;
  return {
    ...planFrame(request, inventory, `Back up ${p.partitions.join(', ')} of ${request.hsm} to ${backupName}`),
    steps: [
      check('vpn', `The backup workstation ${backupName} answers over the VPN, and reaches ${request.hsm}'s NTLS port`, 'vpn.check', {}),
      // before any gate: a backup the documentation rules out is refused before anyone is asked
      check('compatible', compatible, 'backup.compatible', {}, options.gate === false ? {} : { precheck: true }),
      ...approval,
      device(
        request,
        'register-workstation',
        `Upload ${backup.clientName}'s certificate (sha256 ${certificate.sha256.slice(0, 16)}…) as ${clientHost}.pem and register ${backup.clientName}${backup.clientIp ? `, mapped to ${backup.clientIp}` : ''}, if it is not registered yet`,
        'client.register',
        { client: backup.clientName, host: clientHost, certSha256: certificate.sha256, ...(backup.clientIp ? { ip: backup.clientIp } : {}) },
      ),
      ...p.partitions.flatMap((partition) => [
        device(
          request,
          `visible-${partition}`,
          `Partition ${partition} is assigned to the backup workstation (${backup.clientName})`,
          'partition.assignClient',
          { client: backup.clientName, host: clientHost, partition },
          { requires: ['register-workstation'] },
        ),
        device(
          request,
          `backup-${partition}`,
          `Back up ${partition} as its Crypto Officer, answering its cloning domain (named for ${request.hsm}, the partition, the day and this ceremony)`,
          'backup.partition',
          { partition },
        ),
        device(
          request,
          `revoke-${partition}`,
          `Partition ${partition} is revoked from the backup workstation, if this ceremony assigned it`,
          'partition.revokeClient',
          { client: backup.clientName, partition, assignedBy: `visible-${partition}` },
          { requires: [`visible-${partition}`] },
        ),
      ]),
      ...p.partitions.map((partition) => check(`verify-${partition}`, `The backup of ${partition} holds as many objects as the partition`, 'backup.verify', { partition })),
    ],
  };
}
