import { firmwareRelease, sameRelease, upgradePathProblems } from '../../ceremonies/firmware-releases';
import { readDefaultRoutes, readHsmShow, readInstalledPackages } from '../device/queries';
import { defineOperation } from './operation';

// The conditions a firmware upgrade checks before anyone is asked to approve it (plan steps with
// `precheck`: one that does not hold ends the ceremony `refused`), and whether there is anything
// to do at all.

/** Is the appliance already on the target firmware, and on the appliance software that carries
 * it? (Then a firmware ceremony has nothing to do.) */
export const firmwareOnTarget = defineOperation('firmware.onTarget', {
  probeOnly: true,
  async probe(ctx, { targetFirmware, targetSoftware }) {
    const show = await readHsmShow(ctx.device());
    const software = targetSoftware === undefined || sameRelease(show.softwareVersion, targetSoftware);
    return { present: show.firmware === targetFirmware && software, state: { firmware: show.firmware, software: show.softwareVersion, targetFirmware, ...(targetSoftware ? { targetSoftware } : {}) } };
  },
});

/** The documented upgrade path from what the appliance runs to the target, and its named
 * prerequisites (ceremonies/firmware-releases.ts, with the sources). */
export const firmwareUpgradePath = defineOperation('firmware.upgradePath', {
  async probe(ctx, { targetFirmware }) {
    const d = ctx.device();
    const show = await readHsmShow(d);
    const release = firmwareRelease(targetFirmware);
    const packages = release && release.requires.length > 0 ? await readInstalledPackages(d) : [];
    const problems = upgradePathProblems({ firmware: show.firmware, software: show.softwareVersion, packages }, targetFirmware);
    return {
      present: problems.length === 0,
      state: { firmware: show.firmware, software: show.softwareVersion, targetFirmware, installedPackages: packages, sources: release?.sources ?? [], problems },
    };
  },
  explain: (_args, state) => (state.problems as string[]).join('; '),
});

/** Exactly one default route: appliance software 7.7.0 and newer keeps only one, so an appliance
 * with several may become unreachable after the update (Thales, "Updating the Luna Network HSM 7
 * Appliance Software"); on Azure a lost network path means Microsoft resets the device and the
 * keys are lost (Azure Dedicated HSM troubleshooting, "HSM Networking Configuration"). */
export const singleDefaultRoute = defineOperation('appliance.singleDefaultRoute', {
  async probe(ctx) {
    const routes = await readDefaultRoutes(ctx.device());
    return { present: routes.length === 1, state: { defaultRoutes: routes } };
  },
  explain: (_args, state) => {
    const routes = state.defaultRoutes as { gateway: string; iface: string }[];
    const listed = routes.map((r) => `via ${r.gateway} on ${r.iface}`).join(', ');
    return routes.length === 0
      ? 'the appliance has no default route'
      : `the appliance has ${routes.length} default routes (${listed}): remove all but one with network route delete before the update (Thales: only one may exist from appliance software 7.7.0 on; on Azure a lost network path means a reset that loses the keys)`;
  },
});
