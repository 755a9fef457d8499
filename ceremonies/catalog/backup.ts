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
    partitions: ListParam.describe(
      'the partitions to back up (each needs its inventory `partitionCredentials`: `co` and `domain`)',
    ),
    /** A standing pre-approval (inventory `standingApprovals`) instead of a gate: scheduled runs. */
    standingApproval: SlugSchema.optional().describe(
      "a standing pre-approval (`standingApprovals.<id>`) instead of a gate (scheduled backups); it must name every partition of the run and the HSM's backup device",
    ),
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
  const ws = backupWorkstation({ request, inventory }, 'for a backup');
  const { name: backupName, backup } = ws;
  const approval =
    options.gate === false
      ? []
      : standingOrGate({ request, inventory }, p, `Approve backing up ${p.partitions.join(', ')}`, 'this backup');
  // what the backup asks for, named before anyone approves it (the values stay references)
  requireInventory(
    backup.credentials.backupHsmSo,
    `backupDevices.${backupName}.credentials.backupHsmSo`,
    "for a backup (the Backup HSM's SO password)",
  );
  for (const partition of p.partitions) {
    requireInventory(
      own(hsm.partitionCredentials, partition)?.co,
      `hsms.${request.hsm}.partitionCredentials.${partition}.co`,
      "for its backup (the partition's Crypto Officer)",
    );
    requireInventory(
      own(hsm.partitionCredentials, partition)?.domain,
      `hsms.${request.hsm}.partitionCredentials.${partition}.domain`,
      "for its backup (the partition's cloning domain, chosen at partition init -domain)",
    );
  }
  const compatible = `The documentation allows backing up ${request.hsm}'s partitions to ${backupName}'s Backup HSM (HSM firmware, Backup HSM model and firmware, Luna client version)`;
  return {
    ...planFrame(request, inventory, `Back up ${p.partitions.join(', ')} of ${request.hsm} to ${backupName}`),
    steps: [
      check(
        'vpn',
        `The backup workstation ${backupName} answers over the VPN, and reaches ${request.hsm}'s NTLS port`,
        'vpn.check',
        {},
      ),
      // before any gate: a backup the documentation rules out is refused before anyone is asked
      check('compatible', compatible, 'backup.compatible', {}, options.gate === false ? {} : { precheck: true }),
      ...approval,
      ws.register,
      ...p.partitions.flatMap((partition) => [
        ws.assign(partition),
        device(
          request,
          `backup-${partition}`,
          `Back up ${partition} as its Crypto Officer, answering its cloning domain (named for ${request.hsm}, the partition, the day and this ceremony)`,
          'backup.partition',
          { partition },
        ),
        ws.revoke(partition),
      ]),
      ...p.partitions.map((partition) =>
        check(
          `verify-${partition}`,
          `The backup of ${partition} holds as many objects as the partition`,
          'backup.verify',
          { partition },
        ),
      ),
    ],
  };
}

/** The backup workstation of the request's HSM (inventory `backupDevice`), and the steps that make
 * a partition visible to it as a LunaCM slot and take it back (Thales, "Backup/Restore Using
 * Client-Connected Luna Backup HSM 7": partitions "that appear as visible slots in LunaCM"): it is
 * registered as an NTLS client with its certificate (AzureHSMEssentials), each partition is
 * assigned to it (`visible-<p>`) and revoked from it again if this ceremony assigned it
 * (`revoke-<p>`). */
export function backupWorkstation({ request, inventory }: PlanContext, why: string) {
  const hsm = hsmEntry(inventory, request.hsm);
  const name = requireInventory(hsm.backupDevice, `hsms.${request.hsm}.backupDevice`, why);
  const backup = requireInventory(
    own(inventory.backupDevices, name),
    `backupDevices.${name}`,
    `by hsms.${request.hsm}.backupDevice`,
  );
  const certificate = requireInventory(
    own(inventory.clientCertificates, backup.clientName),
    `clientCertificates.${backup.clientName}`,
    `(the backup workstation's NTLS certificate) to register ${name} as a client of ${request.hsm}`,
  );
  const clientHost = backup.clientHost ?? backup.host;
  return {
    name,
    backup,
    register: device(
      request,
      'register-workstation',
      `Upload ${backup.clientName}'s certificate (sha256 ${certificate.sha256.slice(0, 16)}…) as ${clientHost}.pem and register ${backup.clientName}${backup.clientIp ? `, mapped to ${backup.clientIp}` : ''}, if it is not registered yet`,
      'client.register',
      {
        client: backup.clientName,
        host: clientHost,
        certSha256: certificate.sha256,
        ...(backup.clientIp ? { ip: backup.clientIp } : {}),
      },
    ),
    assign: (partition: string, id = `visible-${partition}`) =>
      device(
        request,
        id,
        `Partition ${partition} is assigned to the backup workstation (${backup.clientName})`,
        'partition.assignClient',
        { client: backup.clientName, host: clientHost, partition },
        { requires: ['register-workstation'] },
      ),
    revoke: (partition: string, id = `revoke-${partition}`, assignedBy = `visible-${partition}`) =>
      device(
        request,
        id,
        `Partition ${partition} is revoked from the backup workstation, if this ceremony assigned it`,
        'partition.revokeClient',
        { client: backup.clientName, partition, assignedBy },
        { requires: [assignedBy] },
      ),
  };
}

/** A run's approval: the standing pre-approval it names (inventory `standingApprovals`, checked
 * when the step runs), or the policy's gate. */
export function standingOrGate(
  { request, inventory }: PlanContext,
  p: Parameters<typeof approvalGate>[2] & { partitions: string[]; standingApproval?: string },
  title: string,
  what: string,
) {
  if (p.standingApproval) {
    requireInventory(
      own(inventory.standingApprovals, p.standingApproval),
      `standingApprovals.${p.standingApproval}`,
      'by the request',
    );
    return [
      check('standing-approval', `Standing pre-approval ${p.standingApproval} covers ${what}`, 'approval.standing', {
        id: p.standingApproval,
        partitions: p.partitions.join(','),
      }),
    ];
  }
  return approvalGate(inventory, request, p, 'approve', title);
}
