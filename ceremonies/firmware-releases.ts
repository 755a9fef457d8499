// The Luna Network HSM 7 firmware releases a firmware-upgrade ceremony may go to, as Thales
// documents them: from which installed firmware each one may be installed directly, the package
// that carries it, and what must be in place first. Data, with its source beside each entry; a
// target not listed here is refused when the plan is built. Add a release only from its Customer
// Release Notes ("Valid Update Paths").

export interface Prerequisite {
  /** A package installed on the appliance (`package list`), named by its prefix. */
  installedPackage: string;
  why: string;
  source: string;
}

export interface FirmwareRelease {
  firmware: string;
  /** Installed firmware versions it may be installed from directly. */
  from: readonly string[];
  /** The appliance software package (`.spkg`) that carries the firmware: it is installed with
   * `package update`, runs after a reboot, and leaves the firmware image ready for
   * `hsm firmware upgrade`. */
  software: string;
  /** Installed appliance software (major.minor) the package updates from directly, where the
   * documentation lists it. */
  softwareFrom?: readonly string[];
  /** The appliance software that must already run before the package may be applied (a firmware
   * package that carries no appliance software, e.g. firmware 7.7.1-20: "You must have Luna
   * Appliance Software 7.7.1 installed to apply the secure package"). */
  requiresSoftware?: string;
  requires: readonly Prerequisite[];
  sources: readonly string[];
}

const CRN = 'https://thalesdocs.com/gphsm/luna/7/docs/network/Content/CRN/Luna';
const APPLIANCE_UPDATE =
  'https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/admin_appliance/appliance_sw_update.htm';

/** "If you have a Luna Network HSM 7 that was shipped before December 2019, you must install the
 * Luna Network HSM 7 Reboot Patch before updating to Luna Appliance Software 7.7.0 or newer";
 * Azure asks for it (KB0019789) on every Dedicated HSM, whose units shipped with 7.2. */
const REBOOT_PATCH: Prerequisite = {
  installedPackage: 'lunasa-reboot-patch',
  why: 'the Luna Network HSM 7 Reboot Patch must be installed before appliance software 7.7.0 or newer (else the appliance may hang at a reboot; Azure: KB0019789)',
  source: `${APPLIANCE_UPDATE}; https://learn.microsoft.com/en-us/azure/dedicated-hsm/troubleshoot`,
};

export const FIRMWARE_RELEASES: readonly FirmwareRelease[] = [
  {
    firmware: '7.7.0',
    from: ['7.0.1', '7.0.2', '7.0.3', '7.1.0', '7.2.0', '7.3.0', '7.3.3', '7.4.0', '7.4.1', '7.4.2'],
    software: '7.7.0',
    softwareFrom: ['7.0', '7.1', '7.2', '7.3', '7.4'],
    requires: [REBOOT_PATCH],
    sources: [
      'https://thalesdocs.com/gphsm/luna/7.7.0/docs/network/Content/CRN/Luna/updates.htm (Valid Update Paths)',
      `${CRN}/firmware/7-7-0.htm ("included in the Luna Network HSM appliance software 7.7.0 secure package")`,
    ],
  },
  {
    // a firmware-only secure package: `package update` stages the firmware, the appliance
    // software stays what it is (7.7.1, which must be installed first), so no reboot follows
    firmware: '7.7.1',
    // the notes also list 7.7.1 (an earlier build): versions here carry no build, so a 7.7.1 HSM is
    // "on target" for this ceremony
    from: ['7.0.1', '7.0.2', '7.0.3', '7.1.0', '7.2.0', '7.3.0', '7.3.3', '7.4.0', '7.4.1', '7.4.2', '7.7.0'],
    software: '7.7.1',
    requiresSoftware: '7.7.1',
    requires: [REBOOT_PATCH],
    sources: [
      `https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/CRN/Luna/firmware/7-7-1-20.htm (Valid Update Paths; "You must have Luna Appliance Software 7.7.1 installed to apply the secure package"; Update Procedure: hsm login, package listfile, package verify, package update, hsm firmware show, hsm firmware upgrade)`,
    ],
  },
  {
    firmware: '7.8.4',
    from: [
      '7.0.1',
      '7.0.2',
      '7.0.3',
      '7.1.0',
      '7.2.0',
      '7.3.0',
      '7.3.3',
      '7.4.0',
      '7.4.1',
      '7.4.2',
      '7.7.0',
      '7.7.1',
      '7.7.2',
      '7.8.0',
      '7.8.1',
      '7.8.2',
    ],
    software: '7.8.4',
    // no public list of the appliance software 7.8.4 updates from was found: the firmware path is checked
    requires: [REBOOT_PATCH],
    sources: [
      `${CRN}/firmware/7-8-4.htm (Valid Update Paths; "Luna Appliance Software 7.8.4 (includes firmware update to Luna HSM Firmware 7.8.4)")`,
    ],
  },
];

/** "The STC admin channel is configurable using Luna Appliance Software 7.4.0 and older, and Luna
 * HSM Firmware 7.4.2 and older. This feature is not available in Luna HSM Firmware 7.7.0 and
 * newer." (Thales, "Using the STC Admin Channel"). */
export function hasStcAdminChannel(firmware: string): boolean {
  return compareVersions(firmware, '7.4.2') <= 0;
}

export function firmwareRelease(firmware: string): FirmwareRelease | undefined {
  return FIRMWARE_RELEASES.find((r) => r.firmware === firmware);
}

/** -1, 0 or 1, comparing dotted versions number by number (a `-build` suffix is ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0].split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** "7.8.4-20" is appliance software 7.8.4. */
export function sameRelease(software: string, release: string): boolean {
  return software.split('-')[0] === release;
}

export interface InstalledVersions {
  firmware: string;
  software: string;
  packages: readonly string[];
}

const ROLLBACK_SOURCE =
  'https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content/admin_hsm/updates/fw_rollback.htm';

/** Why the appliance may not go from what it runs to `target`, as the documentation says; empty
 * when it may. A lower target is a rollback, which zeroizes the HSM: refused here. */
export function upgradePathProblems(installed: InstalledVersions, target: string): string[] {
  const release = firmwareRelease(target);
  if (!release)
    return [
      `no documented upgrade path to firmware ${target} (ceremonies/firmware-releases.ts lists ${FIRMWARE_RELEASES.map((r) => r.firmware).join(', ')})`,
    ];
  if (compareVersions(target, installed.firmware) < 0) {
    return [
      `firmware ${installed.firmware} → ${target} is a rollback: it zeroizes the HSM (${ROLLBACK_SOURCE}); this ceremony does not roll back`,
    ];
  }
  const problems: string[] = [];
  if (installed.firmware !== target && !release.from.includes(installed.firmware)) {
    problems.push(
      `firmware ${target} installs directly only from ${release.from.join(', ')}; the HSM runs ${installed.firmware} (${release.sources[0]})`,
    );
  }
  const softwareRelease = installed.software.split('.').slice(0, 2).join('.');
  if (
    release.softwareFrom &&
    !sameRelease(installed.software, release.software) &&
    !release.softwareFrom.includes(softwareRelease)
  ) {
    problems.push(
      `appliance software ${release.software} installs directly only from ${release.softwareFrom.join(', ')}; the appliance runs ${installed.software} (${release.sources[0]})`,
    );
  }
  if (release.requiresSoftware && !sameRelease(installed.software, release.requiresSoftware)) {
    problems.push(
      `the firmware ${target} package needs appliance software ${release.requiresSoftware} installed first; the appliance runs ${installed.software}: update the appliance software to ${release.requiresSoftware} (its own ceremony), then run this one (${release.sources[0]})`,
    );
  }
  for (const p of release.requires) {
    if (!installed.packages.some((name) => name.startsWith(p.installedPackage)))
      problems.push(`${p.installedPackage} is not installed: ${p.why} (${p.source})`);
  }
  return problems;
}
