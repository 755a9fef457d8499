import {
  backupCompatibilityProblems,
  backupHsmFamily,
  restoreCompatibilityProblems,
} from '../../ceremonies/backup-compatibility';

const check = (partitionFirmware: string, model: string, firmware: string, clientVersion = '10.4.0') =>
  backupCompatibilityProblems({ partitionFirmware, backupHsm: { model, firmware }, clientVersion });

test('partitions on firmware 7.7.0 or newer need a Backup HSM 7 on 7.7.1 or a G5 on 6.28.0; each refusal names both versions and its source', () => {
  expect(check('7.7.1', 'G7 Backup HSM', '7.3.2')).toEqual([
    'partitions on HSM firmware 7.7.1 (7.7.0 or newer: V0/V1) need a Luna Backup HSM 7 on firmware 7.7.1 or newer; the Backup HSM runs 7.3.2 (Thales LunaCM reference, "partition archive backup" (Luna 7); "Luna Backup HSM 7 Firmware 7.7.1" release notes ("required to back up and restore to Luna HSM partitions using Luna HSM Firmware 7.7.0 or newer"))',
  ]);
  expect(check('7.8.4', 'Luna Backup HSM G5', '6.27.0')[0]).toMatch(
    /^partitions on HSM firmware 7\.8\.4 .* need a Luna Backup HSM G5 on firmware 6\.28\.0 or newer; the Backup HSM runs 6\.27\.0 \(Thales LunaCM reference/,
  );
  expect(check('7.7.0', 'G7 Backup HSM', '7.7.1')).toEqual([]);
  expect(check('7.8.4', 'Luna Backup HSM G5', '6.28.0')).toEqual([]);
  // older partitions (pre-7.7.0) are not concerned by the rule
  expect(check('7.4.2', 'G7 Backup HSM', '7.3.2')).toEqual([]);
  expect(check('7.0.3', 'Luna Backup HSM G5', '6.10.9')).toEqual([]);
});

test('a Backup HSM 7 v2 needs Luna HSM Client 10.4.0 on the workstation', () => {
  expect(check('7.0.3', 'G7 Backup HSM v2', '7.7.2', '10.3.0')).toEqual([
    'a Luna Backup HSM 7 v2 needs Luna HSM Client 10.4.0 or newer on the workstation; it runs 10.3.0 (the Backup HSM on firmware 7.7.2; Thales, "Backup/Restore Using Client-Connected Luna Backup HSM 7 v2" ("The Luna Backup HSM 7 v2 requires minimum Luna HSM Client 10.4.0"))',
  ]);
  expect(check('7.0.3', 'G7 Backup HSM v2', '7.7.2', '10.4.0')).toEqual([]);
  expect(check('7.0.3', 'G7 Backup HSM', '7.3.2', '7.2.0')).toEqual([]);
});

test('what cannot be read is a problem, never a pass', () => {
  expect(check('7.8.4', 'Some Token', '7.7.1')).toEqual([
    'the Backup HSM model "Some Token" is not one the documentation\'s rules name (Luna Backup HSM 7, 7 v2, G5)',
  ]);
  expect(check('seven', 'G7 Backup HSM', '')).toEqual([
    'the HSM firmware "seven" is not a version',
    'the Backup HSM\'s firmware "" is not a version',
  ]);
  expect(backupHsmFamily('G5Backup')).toBe('backup-hsm-g5');
  expect(backupHsmFamily('Backup Device')).toBeUndefined();
  expect(backupHsmFamily('Luna Backup HSM G5')).toBe('backup-hsm-g5');
  expect(backupHsmFamily('G7 Backup HSM')).toBe('backup-hsm-7');
});

test("a restore needs no minimum Backup HSM firmware, but a 7.7+ partition's backup does not restore to older firmware, and the v2 still needs client 10.4.0", () => {
  const restore = (
    partitionFirmware: string,
    model: string,
    firmware: string,
    clientVersion = '10.4.0',
    sourceFirmware?: string,
  ) =>
    restoreCompatibilityProblems({
      partitionFirmware,
      backupHsm: { model, firmware },
      clientVersion,
      ...(sourceFirmware ? { sourceFirmware } : {}),
    });
  // "You can use a Luna Backup HSM with older firmware to restore objects to a V0 or V1 partition"
  expect(restore('7.7.1', 'G7 Backup HSM', '7.3.2')).toEqual([]);
  expect(restore('7.4.2', 'G7 Backup HSM', '7.7.1', '10.4.0', '7.8.4')).toEqual([
    'a backup of a partition on firmware 7.8.4 (7.7.0 or newer) does not restore to a partition on firmware 7.4.2 (Thales LunaCM reference, "partition archive restore" (Luna 7): "any attempt to restore from a higher-security status to lower-security status fails gracefully")',
  ]);
  expect(restore('7.8.4', 'G7 Backup HSM', '7.7.1', '10.4.0', '7.4.2')).toEqual([]);
  expect(restore('7.0.3', 'G7 Backup HSM v2', '7.7.2', '10.3.0')[0]).toMatch(
    /^a Luna Backup HSM 7 v2 needs Luna HSM Client 10\.4\.0 or newer on the workstation; it runs 10\.3\.0/,
  );
  expect(restore('7.8.4', 'Some Token', '7.7.1')).toEqual([
    'the Backup HSM model "Some Token" is not one the documentation\'s rules name (Luna Backup HSM 7, 7 v2, G5)',
  ]);
});
