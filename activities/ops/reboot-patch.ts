import { compareVersions } from '../../ceremonies/firmware-releases';
import { readHsmShow, readInstalledPackages } from '../device/queries';
import { defineOperation } from './operation';

// Microsoft, "Troubleshooting the Azure Dedicated HSM service": "prior to performing any
// configuration on a newly deployed HSM device, it should be updated with any relevant patches. A
// specific required patch is KB0019789 in Thales support portal which addresses a issue where the
// system becomes unresponsive during reboot." Thales ("Updating the Luna Network HSM 7 Appliance
// Software"): units shipped before December 2019 need the Luna Network HSM 7 Reboot Patch before
// appliance software 7.7.0; 7.7.0 and newer carry the fix. So the check applies below 7.7.0 only.

export const REBOOT_PATCH = {
  /** How `package list` names it once installed (the package file is lunasa-reboot-patch-<n>.spkg). */
  package: 'lunasa-reboot-patch',
  name: 'Luna Network HSM 7 Reboot Patch',
  kb: 'KB0019789',
  source: 'Thales support portal (supportportal.thalesgroup.com), knowledge base article KB0019789',
  fixedIn: '7.7.0',
};

export const rebootPatchInstalled = defineOperation('appliance.rebootPatch', {
  async probe(ctx) {
    const d = ctx.device();
    const { softwareVersion } = await readHsmShow(d);
    if (compareVersions(softwareVersion, REBOOT_PATCH.fixedIn) >= 0) {
      return {
        present: true,
        state: {
          software: softwareVersion,
          applies: false,
          why: `appliance software ${softwareVersion} carries the reboot fix (${REBOOT_PATCH.fixedIn} and newer)`,
        },
      };
    }
    const packages = await readInstalledPackages(d);
    const installed = packages.filter((p) => p.startsWith(REBOOT_PATCH.package));
    return {
      present: installed.length > 0,
      state: { software: softwareVersion, applies: true, installedPackages: packages, rebootPatch: installed },
    };
  },
  explain: (_args, s) =>
    `the ${REBOOT_PATCH.name} (${REBOOT_PATCH.package}) is not installed on this unit (appliance software ${String(s.software)}, below ${REBOOT_PATCH.fixedIn}; installed packages: ${(s.installedPackages as string[]).join(', ') || 'none'}). ` +
    `Microsoft asks for it before any configuration of a new Dedicated HSM (a CLI reboot may hang otherwise): download it from the ${REBOOT_PATCH.source}, copy the .spkg to the appliance with scp and install it with package update <file> -authcode <code> as its instructions say, then retry this step`,
});
