import { compareVersions, FIRMWARE_RELEASES, upgradePathProblems } from '../../ceremonies/firmware-releases';

// The documented upgrade paths (ceremonies/firmware-releases.ts), as the precheck applies them.

const azure = { firmware: '7.0.3', software: '7.2.0-220', packages: ['lunasa-reboot-patch-3'] };

test('every release names its sources, lists only older firmware to come from, and is newer than what it replaces', () => {
  for (const r of FIRMWARE_RELEASES) {
    expect(r.sources.length).toBeGreaterThan(0);
    for (const from of r.from) expect(compareVersions(from, r.firmware)).toBe(-1);
  }
});

test('an Azure unit as Microsoft hands it over (7.2 / 7.0.3, reboot patch applied) may go to 7.7.0 and 7.8.4', () => {
  expect(upgradePathProblems(azure, '7.7.0')).toEqual([]);
  expect(upgradePathProblems(azure, '7.8.4')).toEqual([]);
});

test('what the documentation does not allow is named, with its source', () => {
  expect(upgradePathProblems({ ...azure, packages: [] }, '7.8.4')).toEqual([
    expect.stringMatching(/^lunasa-reboot-patch is not installed: .*appliance_sw_update\.htm/),
  ]);
  // 7.7.0's package updates appliance software 7.0-7.4 only
  expect(upgradePathProblems({ ...azure, software: '7.6.0-1' }, '7.7.0')).toEqual([
    expect.stringMatching(
      /^appliance software 7\.7\.0 installs directly only from 7\.0, 7\.1, 7\.2, 7\.3, 7\.4; the appliance runs 7\.6\.0-1/,
    ),
  ]);
  // firmware 7.7.0 installs directly from 7.4.2 and older only
  expect(upgradePathProblems({ ...azure, firmware: '7.5.0' }, '7.7.0')).toEqual([
    expect.stringMatching(/^firmware 7\.7\.0 installs directly only from 7\.0\.1, .*7\.4\.2; the HSM runs 7\.5\.0/),
  ]);
  expect(upgradePathProblems({ ...azure, firmware: '7.8.4' }, '7.7.0')).toEqual([
    expect.stringMatching(/^firmware 7\.8\.4 → 7\.7\.0 is a rollback: it zeroizes the HSM .*fw_rollback\.htm/),
  ]);
  expect(upgradePathProblems(azure, '7.9.0')).toEqual([
    expect.stringMatching(/^no documented upgrade path to firmware 7\.9\.0/),
  ]);
});

test('firmware already on the target with the software still to come is no path problem', () => {
  expect(upgradePathProblems({ ...azure, firmware: '7.8.4' }, '7.8.4')).toEqual([]);
});

test("the software path: firmware 7.7.1's package needs appliance software 7.7.1 installed first (7.7.1-20 notes)", () => {
  expect(upgradePathProblems(azure, '7.7.1')).toEqual([
    expect.stringMatching(
      /^the firmware 7\.7\.1 package needs appliance software 7\.7\.1 installed first; the appliance runs 7\.2\.0-220: .*7-7-1-20\.htm/,
    ),
  ]);
  expect(upgradePathProblems({ ...azure, software: '7.7.1-15' }, '7.7.1')).toEqual([]);
});
