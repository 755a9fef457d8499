import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { AuthCode, FirmwareVersion, PackageFile, Sha256Hex } from '../operation-args';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { PlanSchema } from '../plan';
import { FIRMWARE_RELEASES, firmwareRelease } from '../firmware-releases';
import { approvalGate, check, device, GateParams, ListParam, planFrame, requireInventory } from './common';
import { buildBackupPlan } from './backup';
import type { PlanContext } from './types';

const DocumentedTarget = FirmwareVersion.superRefine((version, ctx) => {
  if (!firmwareRelease(version)) {
    ctx.addIssue({ code: 'custom', message: `no documented upgrade path to firmware ${version} (known: ${FIRMWARE_RELEASES.map((r) => r.firmware).join(', ')}; see ceremonies/firmware-releases.ts)` });
  }
});

export const FirmwareUpgradeParamsSchema = z
  .object({
    ...GateParams,
    file: PackageFile,
    sha256: Sha256Hex,
    authCode: AuthCode,
    targetFirmware: DocumentedTarget,
    partitions: ListParam,
    rebootWaitSeconds: z.coerce.number().int().min(1).max(7200).default(900),
    signer: SlugSchema.default('microsoft'),
  })
  .strict();

/** Firmware upgrade as Thales documents it (Customer Release Notes, "Updating the Luna Network
 * HSM 7 Appliance Software", "Updating the Luna HSM Firmware"): prechecks before any gate (the
 * documented upgrade path and its prerequisites, one default route), Microsoft's sign-off, the
 * approval gate, a fresh backup, then the package copied with scp and verified, `package update`,
 * `hsm firmware upgrade`, the reboot (with a watchdog) and a check of both versions. */
export function buildFirmwareUpgradePlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = FirmwareUpgradeParamsSchema.parse(request.params);
  const release = firmwareRelease(p.targetFirmware)!;
  const signer = requireInventory(own(inventory.externalSigners, p.signer), `externalSigners.${p.signer}`, 'for the firmware sign-off');
  const backupPlan = PlanSchema.parse(
    buildBackupPlan(
      { request: { ...request, kind: 'backup', ticket: request.ticket, params: { partitions: p.partitions.join(',') } }, inventory },
      { gate: false },
    ),
  );
  const target = `firmware ${p.targetFirmware} (appliance software ${release.software})`;
  return {
    ...planFrame(request, inventory, `Upgrade ${request.hsm} to firmware ${p.targetFirmware}`),
    steps: [
      check('on-target', `Is ${request.hsm} already on ${target}? (then nothing to do)`, 'firmware.onTarget', { targetFirmware: p.targetFirmware, targetSoftware: release.software }, { completeIfPresent: true }),
      check('upgrade-path', `The documentation allows the upgrade to ${target} from what ${request.hsm} runs, and its prerequisites are installed`, 'firmware.upgradePath', { targetFirmware: p.targetFirmware }, { precheck: true }),
      check('default-route', `${request.hsm} has exactly one default route (a lost network path on Azure means a reset that loses the keys)`, 'appliance.singleDefaultRoute', {}, { precheck: true }),
      {
        id: 'signoff',
        type: 'signoff',
        title: `${signer.name} signs off the upgrade to ${p.targetFirmware}`,
        signer: signer.name,
        contacts: signer.contacts,
        deadline: '14d',
        remindEvery: '3d',
      },
      ...approvalGate(inventory, request, p, 'approve', `Approve the upgrade to ${target}`),
      { id: 'backup', type: 'ceremony', title: `Fresh backup of ${p.partitions.join(', ')}`, plan: backupPlan },
      device(request, 'upload', `Copy ${p.file} to the appliance with scp (sha256 checked first)`, 'firmware.upload', { file: p.file, sha256: p.sha256 }, { requires: ['backup'] }),
      check('verify-package', `package verify ${p.file}: it decrypts, and its certificate and signature hold`, 'package.verify', { file: p.file, authCode: p.authCode }, { requires: ['upload'] }),
      device(request, 'install', `package update ${p.file}: appliance software ${release.software} (runs after the reboot), firmware ${p.targetFirmware} staged`, 'package.update', { file: p.file, authCode: p.authCode, targetFirmware: p.targetFirmware }, { requires: ['backup', 'verify-package'] }),
      device(request, 'firmware', `hsm firmware upgrade to ${p.targetFirmware}`, 'firmware.upgrade', { targetFirmware: p.targetFirmware }, { requires: ['install'] }),
      device(
        request,
        'reboot',
        `Reboot and wait up to ${p.rebootWaitSeconds} s for appliance software ${release.software}`,
        'appliance.reboot',
        { expectFirmware: p.targetFirmware, expectSoftware: release.software, waitSeconds: p.rebootWaitSeconds },
        {
          timeout: `${p.rebootWaitSeconds + 120}s`,
          heartbeatTimeout: '60s',
          escalate:
            inventory.supportContacts.length > 0
              ? { on: ['RebootHung'], to: inventory.supportContacts, subject: `Physical reboot needed: ${request.hsm} did not come back after a firmware reboot` }
              : undefined,
        },
      ),
      check('verify', `hsm show reports ${target}`, 'hsm.verify', { firmware: p.targetFirmware, software: release.software }),
    ],
  };
}
