import { compareVersions } from './firmware-releases';

// Which backups Thales documents as impossible, as data: a partition on Luna HSM firmware 7.7.0
// or newer (a V0 or V1 partition) can only be backed up to a Backup HSM on a minimum firmware,
// and the Luna Backup HSM 7 v2 needs a minimum Luna HSM Client on the workstation it is
// connected to. Each rule carries the page that says so.

export type BackupHsmFamily = 'backup-hsm-7' | 'backup-hsm-7-v2' | 'backup-hsm-g5';

const FAMILY_NAMES: Record<BackupHsmFamily, string> = {
  'backup-hsm-7': 'Luna Backup HSM 7',
  'backup-hsm-7-v2': 'Luna Backup HSM 7 v2',
  'backup-hsm-g5': 'Luna Backup HSM G5',
};

/** The firmware from which partitions are V0/V1 (Thales, "partition archive backup", LunaCM
 * reference, Luna 7: "To perform backup operations on Luna HSM Firmware 7.7.0 or newer (V0 or V1
 * partitions) you require at minimum: Luna Backup HSM 7 Firmware 7.7.1, Luna Backup HSM G5
 * Firmware 6.28.0"). */
export const V0_V1_PARTITION_FIRMWARE = '7.7.0';

const ARCHIVE_BACKUP_PAGE = 'Thales LunaCM reference, "partition archive backup" (Luna 7)';

/** Minimum Backup HSM firmware for a partition on firmware 7.7.0 or newer, per family. */
export const MIN_BACKUP_FIRMWARE_FOR_V0_V1: Record<BackupHsmFamily, { firmware: string; source: string }> = {
  'backup-hsm-7': {
    firmware: '7.7.1',
    source: `${ARCHIVE_BACKUP_PAGE}; "Luna Backup HSM 7 Firmware 7.7.1" release notes ("required to back up and restore to Luna HSM partitions using Luna HSM Firmware 7.7.0 or newer")`,
  },
  // the v2 hardware ships with 7.7.2 (its release notes), so it meets the Backup HSM 7 minimum
  'backup-hsm-7-v2': { firmware: '7.7.1', source: ARCHIVE_BACKUP_PAGE },
  'backup-hsm-g5': { firmware: '6.28.0', source: ARCHIVE_BACKUP_PAGE },
};

/** Minimum Luna HSM Client on the workstation a Backup HSM is connected to, per family. */
export const MIN_CLIENT_VERSION: Partial<Record<BackupHsmFamily, { version: string; source: string }>> = {
  'backup-hsm-7-v2': {
    version: '10.4.0',
    source:
      'Thales, "Backup/Restore Using Client-Connected Luna Backup HSM 7 v2" ("The Luna Backup HSM 7 v2 requires minimum Luna HSM Client 10.4.0")',
  },
};

/** The Backup HSM's family from the model LunaCM's `slot list` prints for its slot; undefined for
 * a model we cannot place (the words of the Backup HSM's Model field are guessed: no public
 * capture shows one). */
export function backupHsmFamily(model: string): BackupHsmFamily | undefined {
  if (/\bG5/i.test(model)) return 'backup-hsm-g5';
  if (/\bv2\b/i.test(model)) return 'backup-hsm-7-v2';
  if (/\b(G7|7)\b/.test(model)) return 'backup-hsm-7';
  return undefined;
}

export interface BackupCompatibilityInput {
  /** The firmware of the HSM whose partitions are backed up (`hsm show`, or a planned target). */
  partitionFirmware: string;
  /** The Backup HSM as LunaCM's `slot list` shows it. */
  backupHsm: { model: string; firmware: string };
  /** The Luna HSM Client version on the backup workstation (LunaCM's banner). */
  clientVersion: string;
}

const VERSION = /^\d+\.\d+\.\d+(-\d+)?$/;

/** Why the documentation says this backup cannot work; empty when nothing it says rules it out.
 * Each problem names both versions and its source. A version that is not a version is a problem
 * too: nothing is decided on an unreadable answer. */
export function backupCompatibilityProblems({
  partitionFirmware,
  backupHsm,
  clientVersion,
}: BackupCompatibilityInput): string[] {
  const problems: string[] = [];
  const family = backupHsmFamily(backupHsm.model);
  if (!VERSION.test(partitionFirmware)) problems.push(`the HSM firmware "${partitionFirmware}" is not a version`);
  if (!VERSION.test(backupHsm.firmware))
    problems.push(`the Backup HSM's firmware "${backupHsm.firmware}" is not a version`);
  if (!VERSION.test(clientVersion)) problems.push(`the Luna HSM Client version "${clientVersion}" is not a version`);
  if (!family)
    problems.push(
      `the Backup HSM model "${backupHsm.model}" is not one the documentation's rules name (Luna Backup HSM 7, 7 v2, G5)`,
    );
  if (problems.length) return problems;
  const name = FAMILY_NAMES[family!];
  const minimum = MIN_BACKUP_FIRMWARE_FOR_V0_V1[family!];
  if (
    compareVersions(partitionFirmware, V0_V1_PARTITION_FIRMWARE) >= 0 &&
    compareVersions(backupHsm.firmware, minimum.firmware) < 0
  ) {
    problems.push(
      `partitions on HSM firmware ${partitionFirmware} (${V0_V1_PARTITION_FIRMWARE} or newer: V0/V1) need a ${name} on firmware ${minimum.firmware} or newer; the Backup HSM runs ${backupHsm.firmware} (${minimum.source})`,
    );
  }
  const client = MIN_CLIENT_VERSION[family!];
  if (client && compareVersions(clientVersion, client.version) < 0) {
    problems.push(
      `a ${name} needs Luna HSM Client ${client.version} or newer on the workstation; it runs ${clientVersion} (the Backup HSM on firmware ${backupHsm.firmware}; ${client.source})`,
    );
  }
  return problems;
}

/** Why the documentation says this restore cannot work; empty when nothing it says rules it out.
 * Thales, `partition archive restore` (Luna 7): "You can use a Luna Backup HSM with older firmware
 * to restore objects to a V0 or V1 partition" (so a restore needs no minimum Backup HSM firmware),
 * but "any attempt to restore from a higher-security status to lower-security status fails
 * gracefully": a backup of a partition on firmware 7.7.0 or newer (`sourceFirmware`, when known)
 * does not restore to a partition on older firmware. The workstation's client must still suit
 * the Backup HSM (the v2 needs Luna HSM Client 10.4.0). */
export function restoreCompatibilityProblems({
  partitionFirmware,
  backupHsm,
  clientVersion,
  sourceFirmware,
}: BackupCompatibilityInput & { sourceFirmware?: string }): string[] {
  const problems: string[] = [];
  const family = backupHsmFamily(backupHsm.model);
  if (!VERSION.test(partitionFirmware)) problems.push(`the HSM firmware "${partitionFirmware}" is not a version`);
  if (!VERSION.test(clientVersion)) problems.push(`the Luna HSM Client version "${clientVersion}" is not a version`);
  if (sourceFirmware !== undefined && !VERSION.test(sourceFirmware))
    problems.push(`the backup's source firmware "${sourceFirmware}" is not a version`);
  if (!family)
    problems.push(
      `the Backup HSM model "${backupHsm.model}" is not one the documentation's rules name (Luna Backup HSM 7, 7 v2, G5)`,
    );
  if (problems.length) return problems;
  if (
    sourceFirmware !== undefined &&
    compareVersions(sourceFirmware, V0_V1_PARTITION_FIRMWARE) >= 0 &&
    compareVersions(partitionFirmware, V0_V1_PARTITION_FIRMWARE) < 0
  ) {
    problems.push(
      `a backup of a partition on firmware ${sourceFirmware} (${V0_V1_PARTITION_FIRMWARE} or newer) does not restore to a partition on firmware ${partitionFirmware} (${RESTORE_PAGE}: "any attempt to restore from a higher-security status to lower-security status fails gracefully")`,
    );
  }
  const client = MIN_CLIENT_VERSION[family!];
  if (client && compareVersions(clientVersion, client.version) < 0) {
    problems.push(
      `a ${FAMILY_NAMES[family!]} needs Luna HSM Client ${client.version} or newer on the workstation; it runs ${clientVersion} (${client.source})`,
    );
  }
  return problems;
}

const RESTORE_PAGE = 'Thales LunaCM reference, "partition archive restore" (Luna 7)';
