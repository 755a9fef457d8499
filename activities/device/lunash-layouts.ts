// The texts the parsers (./lunash-parser.ts) look for in lunash / LunaCM output, each with where
// it comes from (a Thales documentation page or a public capture; "guessed" where none was found):
// the device's own words for "nothing here", headings, and field names. The parsers alone use
// them: the simulator (simulator/) writes its answers out on its own, from the same sources, and
// test/device/transcript-contract.test.ts checks both sides against the samples in
// test/fixtures/lunash/ (each with its source line).

/** A table the operations read: the command that prints it and what it prints instead of an
 * empty table (the parser's columns are named where it reads them). */
export interface TableTexts {
  command: string;
  source: string;
  /** What the command prints instead of an empty table. */
  empty: string;
}

/** Luna 7.x prints a rule per column (public capture, Luna Network HSM 7.x over `ssh host par
 * list`: sampaul-thales/CipherTrust_Notes, CCKM/cckm_luna_partition.md); Luna 5.x/6.x one
 * full-width rule (test/fixtures/lunash/partition-list-5.x.txt); the parser reads both. */
export const PARTITION_LIST: TableTexts = {
  command: 'partition list',
  source: 'empty text as captured on Luna 5.x (Amazon CloudHSM Classic CLI test data)',
  empty: 'There are no partitions.',
};

/** guessed: no documentation or capture of `package listfile` was found. */
export const PACKAGE_LISTFILE: TableTexts = {
  command: 'package listfile',
  source: 'guessed',
  empty: 'No package files found.',
};

/** guessed: `package list` lists the packages installed on the appliance (the reboot patch a
 * firmware release requires is one); no capture of its output was found. */
export const PACKAGE_LIST: TableTexts = {
  command: 'package list',
  source: 'guessed',
  empty: 'No packages are installed.',
};

/** `network route show`: guessed as the Linux kernel routing table (`route -n`) it is built on;
 * the command itself is Thales' ("Remove all but one instance of the 'default route', using the
 * network route delete command": Updating the Luna Network HSM 7 Appliance Software). */
export const ROUTE_TABLE = {
  command: 'network route show',
  source: 'guessed (the layout of Linux `route -n`)',
  heading: 'Kernel IP routing table',
  columns: ['Destination', 'Gateway', 'Genmask', 'Flags', 'Metric', 'Ref', 'Use', 'Iface'],
} as const;

/** guessed: no documentation or capture of LunaCM `partition archive list` was found. Only what
 * Thales' `partition archive backup` page says a backup partition has is read: its name (the
 * command's `-partition`) and its objects (a domain mismatch "creates an empty backup
 * partition"); nothing documents a source serial or a creation time, so none is read. */
export const PARTITION_ARCHIVE_LIST: TableTexts = {
  command: 'partition archive list',
  source: 'guessed',
  empty: 'No backup partitions.',
};

/** guessed: the `audit log list` page (Luna 7 LunaSH reference) shows no output. */
export const AUDIT_LOG_LIST: TableTexts = {
  command: 'audit log list',
  source: 'guessed',
  empty: 'No audit log files.',
};

/** `sysconf ntp status` (5.1 capture, Amazon CloudHSM Classic CLI test data): the state lines. */
export const NTP_TEXTS = {
  running: 'NTP is running',
  notRunning: 'NTP is not running',
  enabled: 'NTP is enabled',
  disabled: 'NTP is disabled',
};

/** Texts of the key/value outputs (hsm show: Azure Dedicated HSM 7.2 capture,
 * arsenvlad/azure-dedicated-hsm-examples; 5.x/6.x captures in test/fixtures/lunash/). */
export const TEXTS = {
  noPartitions: 'There are no partitions.',
  partitionsHeading: 'Partitions created on HSM:',
  /** client show (5.x capture, Amazon CloudHSM Classic CLI test data) */
  clientNoPartitions: '<none>',
  /** syslog remotehost list: 5.3 and later, and 5.1 (same capture set) */
  syslogHeading: 'Remote logging server(s):',
  syslogHeading51: 'List of syslog remote hosts:',
  /** hsm firmware show: "Upgrade Firmware: 7.7.1" as Thales' Luna HSM Firmware 7.7.1-20 notes
   * show it; the Current and Rollback lines, and "None", guessed */
  firmwareCurrent: 'Current Firmware',
  firmwareRollback: 'Rollback Firmware',
  firmwareUpgrade: 'Upgrade Firmware',
  noFirmware: 'None',
  /** hsm stc status (guessed) */
  stcEnabled: 'Enabled',
};
