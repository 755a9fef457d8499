import { z } from 'zod';
import { SlugSchema } from '../identifiers';
import { AuthCode, FirmwareVersion, PackageFile, Sha256Hex } from '../operation-args';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { PlanSchema } from '../plan';
import { FIRMWARE_RELEASES, firmwareRelease } from '../firmware-releases';
import { approvalGate, check, device, GateParams, ListParam, planFrame, requireInventory } from './common';
import { buildBackupPlan } from './backup';
import { haExclusionPrecheck, haLeaveGate, haMembership, haRejoinGate } from './ha';
import type { PlanContext } from './types';

const DocumentedTarget = FirmwareVersion.superRefine((version, ctx) => {
  if (!firmwareRelease(version)) {
    ctx.addIssue({
      code: 'custom',
      message: `no documented upgrade path to firmware ${version} (known: ${FIRMWARE_RELEASES.map((r) => r.firmware).join(', ')}; see ceremonies/firmware-releases.ts)`,
    });
  }
});

export const FirmwareUpgradeParamsSchema = z
  .object({
    ...GateParams,
    file: PackageFile.describe(
      "the secure package (`.spkg`) in the worker's package directory (`CEREMONY_PACKAGES_DIR`)",
    ),
    sha256: Sha256Hex.describe('its sha256, checked before it is copied'),
    authCode: AuthCode.describe(
      "the package's authorisation code from Thales (never logged; scrubbed from transcripts)",
    ),
    targetFirmware: DocumentedTarget.describe(
      'a release of `ceremonies/firmware-releases.ts`; any other is refused when the plan is built',
    ),
    partitions: ListParam.describe('the partitions backed up (a child `backup` ceremony) before anything is installed'),
    rebootWaitSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(7200)
      .default(900)
      .describe('how long the reboot step waits for the new appliance software'),
    restartWaitSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(7200)
      .default(900)
      .describe('how long to wait for the HSM to answer on the new firmware after `hsm firmware upgrade`'),
    signer: SlugSchema.default('microsoft').describe('the external signer (inventory `externalSigners`)'),
  })
  .strict();

/** Prechecks of the Backup HSM's compatibility with the target firmware (a 7.7+ partition backs
 * up only onto a Backup HSM 7 on 7.7.1+ or a G5 on 6.28.0+): before any gate, so an upgrade that
 * would make every later backup impossible is refused before anyone is asked. The fresh backup
 * before the upgrade checks the firmware the partitions run now; this checks the target. */
function backupCompatibilityPrechecks({ request }: PlanContext, targetFirmware: string): PlanInput['steps'] {
  return [
    check(
      'backup-compatible',
      `${request.hsm}'s partitions on firmware ${targetFirmware} can still be backed up to its Backup HSM (Backup HSM model and firmware, Luna client version)`,
      'backup.compatible',
      { partitionFirmware: targetFirmware },
      { precheck: true },
    ),
  ];
}

/** Firmware upgrade in Thales' documented order (docs/ceremonies/firmware-upgrade.md has each step
 * with its source): prechecks before any gate (the documented firmware and software path and its
 * prerequisites, one default route, the Backup HSM's compatibility), Microsoft's sign-off, the
 * approval gate, a fresh backup, the package copied with scp; the owners acknowledge that the
 * traffic of the clients registered on the unit has stopped (or the unit is out of its HA group);
 * then, as the HSM SO, `package listfile` / `package verify`, `package update`; the appliance
 * reboot that completes the software update; `hsm firmware upgrade` on that software; the HSM's
 * own restart onto the new firmware; and both versions read back. On a member of an HA group
 * (inventory `haGroups`) a precheck first refuses the upgrade while another maintenance ceremony
 * holds a member of the group, the group's owners acknowledge the member taken out before the
 * install and put back after the verify (docs/ha-maintenance.md). One step per phase, each
 * probe -> act -> verify, so a worker restarted between phases resumes at the right one. */
export function buildFirmwareUpgradePlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = FirmwareUpgradeParamsSchema.parse(request.params);
  const release = firmwareRelease(p.targetFirmware)!;
  const signer = requireInventory(
    own(inventory.externalSigners, p.signer),
    `externalSigners.${p.signer}`,
    'for the firmware sign-off',
  );
  const backupPlan = PlanSchema.parse(
    buildBackupPlan(
      {
        request: { ...request, kind: 'backup', ticket: request.ticket, params: { partitions: p.partitions.join(',') } },
        inventory,
      },
      { gate: false },
    ),
  );
  const target = `firmware ${p.targetFirmware} (appliance software ${release.software})`;
  const approvals = approvalGate(inventory, request, p, 'approve', `Approve the upgrade to ${target}`);
  const first = approvals[0] as Extract<PlanInput['steps'][number], { type: 'approval' }>;
  return {
    ...planFrame(request, inventory, `Upgrade ${request.hsm} to firmware ${p.targetFirmware}`),
    steps: [
      ...haExclusionPrecheck(context),
      check(
        'on-target',
        `Is ${request.hsm} already on ${target}? (then nothing to do)`,
        'firmware.onTarget',
        { targetFirmware: p.targetFirmware, targetSoftware: release.software },
        { completeIfPresent: true },
      ),
      check(
        'upgrade-path',
        `The documentation allows the upgrade to ${target} from what ${request.hsm} runs (firmware and appliance software), and its prerequisites are installed`,
        'firmware.upgradePath',
        { targetFirmware: p.targetFirmware },
        { precheck: true },
      ),
      check(
        'default-route',
        `${request.hsm} has exactly one default route (a lost network path on Azure means a reset that loses the keys)`,
        'appliance.singleDefaultRoute',
        {},
        { precheck: true },
      ),
      ...backupCompatibilityPrechecks(context, p.targetFirmware),
      {
        id: 'signoff',
        type: 'signoff',
        title: `${signer.name} signs off the upgrade to ${p.targetFirmware}`,
        signer: signer.name,
        contacts: signer.contacts,
        deadline: '14d',
        remindEvery: '3d',
      },
      ...approvals,
      { id: 'backup', type: 'ceremony', title: `Fresh backup of ${p.partitions.join(', ')}`, plan: backupPlan },
      device(
        request,
        'upload',
        `Copy ${p.file} to the appliance with scp (sha256 checked first)`,
        'firmware.upload',
        { file: p.file, sha256: p.sha256 },
        { requires: ['backup'] },
      ),
      // The plan is built from the request and the inventory alone (its digest is recomputed), so
      // it cannot name the clients registered on the unit: this read-only step reads them
      // (`client list`) and the acknowledgement gate's mail names them (the step's next steps).
      // The inventory's client certificates are not per unit, and a client registered by hand is
      // not in them: the device is the one list that is complete.
      check(
        'registered-clients',
        `Read the clients registered on ${request.hsm} (client list)`,
        'clients.registered',
        {},
        { requires: ['upload'] },
      ),
      // an HA member: its group's owners take it out first (and put it back after the verify)
      ...haLeaveGate(context, p),
      {
        id: 'clients-stopped',
        type: 'approval',
        title: `The traffic of the clients registered on ${request.hsm} (named in this mail) is stopped, or ${request.hsm} is out of its HA group`,
        group: first.group,
        approvers: first.approvers,
        quorum: 1,
        deadline: p.deadline,
        remindEvery: p.remindEvery,
      },
      check(
        'verify-package',
        `As the HSM SO: package listfile, package verify ${p.file} (it decrypts, its certificate and signature hold)`,
        'package.verify',
        { file: p.file, authCode: p.authCode },
        { requires: ['upload'] },
      ),
      device(
        request,
        'install',
        `package update ${p.file}: appliance software ${release.software} (it runs after the reboot), firmware ${p.targetFirmware} staged`,
        'package.update',
        { file: p.file, authCode: p.authCode, targetFirmware: p.targetFirmware },
        { requires: ['backup', 'verify-package', ...(haMembership(context) ? ['ha-leave'] : [])] },
      ),
      device(
        request,
        'reboot',
        `Reboot the appliance and wait up to ${p.rebootWaitSeconds} s until it runs appliance software ${release.software} (not rebooted when it already does)`,
        'appliance.reboot',
        { expectSoftware: release.software, waitSeconds: p.rebootWaitSeconds },
        {
          requires: ['install'],
          timeout: `${p.rebootWaitSeconds + 120}s`,
          heartbeatTimeout: '60s',
          escalate:
            inventory.supportContacts.length > 0
              ? {
                  on: ['RebootHung'],
                  to: inventory.supportContacts,
                  subject: `Physical reboot needed: ${request.hsm} did not come back after a firmware reboot`,
                }
              : undefined,
        },
      ),
      device(
        request,
        'firmware',
        `hsm firmware upgrade to ${p.targetFirmware}, as the HSM SO, on appliance software ${release.software}`,
        'firmware.upgrade',
        { targetFirmware: p.targetFirmware, targetSoftware: release.software },
        { requires: ['reboot'] },
      ),
      device(
        request,
        'hsm-restarted',
        `Wait up to ${p.restartWaitSeconds} s for the HSM to restart by itself on firmware ${p.targetFirmware}`,
        'firmware.hsmRestarted',
        { targetFirmware: p.targetFirmware, waitSeconds: p.restartWaitSeconds },
        { requires: ['firmware'], timeout: `${p.restartWaitSeconds + 120}s` },
      ),
      check(
        'verify',
        `hsm show reports ${target}`,
        'hsm.verify',
        { firmware: p.targetFirmware, software: release.software },
        { requires: ['hsm-restarted'] },
      ),
      ...haRejoinGate(context, p),
    ],
  };
}
