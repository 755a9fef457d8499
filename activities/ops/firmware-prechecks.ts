import { firmwareRelease, sameRelease, upgradePathProblems } from '../../ceremonies/firmware-releases';
import { UnreadableOutput } from '../device/errors';
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
    return {
      present: show.firmware === targetFirmware && software,
      state: {
        firmware: show.firmware,
        software: show.softwareVersion,
        targetFirmware,
        ...(targetSoftware ? { targetSoftware } : {}),
      },
    };
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
    const problems = upgradePathProblems(
      { firmware: show.firmware, software: show.softwareVersion, packages },
      targetFirmware,
    );
    return {
      present: problems.length === 0,
      state: {
        firmware: show.firmware,
        software: show.softwareVersion,
        targetFirmware,
        installedPackages: packages,
        sources: release?.sources ?? [],
        problems,
      },
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

/** `client list` as lunash prints it ("registered client 1: <name>" a line; CloudHSM 5.x capture,
 * the 7.x form guessed the same), or its "No clients are registered." (guessed). Any other line is
 * unreadable: the step fails rather than name fewer clients than there are. */
export function parseClientList(output: string): string[] {
  const clients: string[] = [];
  let none = false;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || /^Command Result\s*:/.test(line)) continue;
    const m = /^registered client \d+:\s*(\S+)$/i.exec(line);
    if (m) clients.push(m[1]);
    else if (/^No clients are registered\.?$/i.test(line)) none = true;
    else
      throw new UnreadableOutput(
        'client list',
        'a line that is neither "registered client N: <name>" nor "No clients are registered."',
        raw,
      );
  }
  if (!none && clients.length === 0) throw new UnreadableOutput('client list', 'an empty answer');
  return clients;
}

/** The NTLS clients registered on the appliance (`client list`), read just before the owners are
 * asked to stop their traffic: the acknowledgement gate that follows names them (its mail lists
 * this step's next steps). Read from the device, not the inventory: the inventory's client
 * certificates are global, not per appliance, and a client registered by hand is not in it. */
export const registeredClients = defineOperation('clients.registered', {
  async probe(ctx) {
    const clients = parseClientList((await ctx.device().run('client list')).output);
    return { present: true, state: { clients } };
  },
  nextSteps(ctx, _args, state) {
    const clients = state.clients as string[];
    const unit = ctx.hsm ?? 'the appliance';
    return [
      clients.length === 0
        ? `No NTLS client is registered on ${unit} (client list): no client traffic to stop.`
        : `Before the upgrade, stop the traffic of the clients registered on ${unit} (client list): ${clients.join(', ')}; or take ${unit} out of its HA group (Thales: "Stop all client applications" before the update).`,
    ];
  },
});
