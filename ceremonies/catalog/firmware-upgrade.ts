import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { AuthCode, FirmwareVersion, PackageFile, Sha256Hex } from '../operation-args';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { PlanSchema } from '../plan';
import { approvalGate, check, device, GateParams, ListParam, planFrame, requireInventory } from './common';
import { buildBackupPlan } from './backup';
import type { PlanContext } from './types';

export const FirmwareUpgradeParamsSchema = z
  .object({
    ...GateParams,
    file: PackageFile,
    sha256: Sha256Hex,
    authCode: AuthCode,
    targetFirmware: FirmwareVersion,
    partitions: ListParam,
    rebootWaitSeconds: z.coerce.number().int().min(1).max(7200).default(900),
    signer: SlugSchema.default('microsoft'),
  })
  .strict();

/** Firmware upgrade with Microsoft's sign-off, a fresh backup first, and a reboot watchdog. */
export function buildFirmwareUpgradePlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = FirmwareUpgradeParamsSchema.parse(request.params);
  const signer = requireInventory(own(inventory.externalSigners, p.signer), `externalSigners.${p.signer}`, 'for the firmware sign-off');
  const backupPlan = PlanSchema.parse(
    buildBackupPlan(
      { request: { ...request, kind: 'backup', ticket: request.ticket, params: { partitions: p.partitions.join(',') } }, inventory },
      { gate: false },
    ),
  );
  return {
    ...planFrame(request, inventory, `Upgrade ${request.hsm} to firmware ${p.targetFirmware}`),
    steps: [
      check('on-target', `Is ${request.hsm} already on ${p.targetFirmware}? (then nothing to do)`, 'firmware.onTarget', { targetFirmware: p.targetFirmware }, { completeIfPresent: true }),
      {
        id: 'signoff',
        type: 'signoff',
        title: `${signer.name} signs off the upgrade to ${p.targetFirmware}`,
        signer: signer.name,
        contacts: signer.contacts,
        deadline: '14d',
        remindEvery: '3d',
      },
      ...approvalGate(inventory, request, p, 'approve', `Approve the upgrade to ${p.targetFirmware}`),
      { id: 'backup', type: 'ceremony', title: `Fresh backup of ${p.partitions.join(', ')}`, plan: backupPlan },
      device(request, 'upload', `Upload ${p.file} (sha256 checked)`, 'firmware.upload', { file: p.file, sha256: p.sha256 }, { requires: ['backup'] }),
      device(request, 'upgrade', `Install ${p.file}`, 'firmware.upgrade', { file: p.file, authCode: p.authCode, targetFirmware: p.targetFirmware }, { requires: ['backup'] }),
      device(
        request,
        'reboot',
        `Reboot and wait up to ${p.rebootWaitSeconds} s for ${p.targetFirmware}`,
        'appliance.reboot',
        { expectFirmware: p.targetFirmware, waitSeconds: p.rebootWaitSeconds },
        {
          timeout: `${p.rebootWaitSeconds + 120}s`,
          heartbeatTimeout: '60s',
          escalate:
            inventory.supportContacts.length > 0
              ? { on: ['RebootHung'], to: inventory.supportContacts, subject: `Physical reboot needed: ${request.hsm} did not come back after a firmware reboot` }
              : undefined,
        },
      ),
      check('verify', `hsm show reports firmware ${p.targetFirmware}`, 'hsm.verify', { firmware: p.targetFirmware }),
    ],
  };
}
