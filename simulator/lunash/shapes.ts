// How the simulated appliance lays out what lunash prints: each table and fixed text written out
// here from its source (a public capture, a Thales page, or "guessed"), with the source beside
// it. test/fixtures/lunash/ keeps a sample of each shape under the same source, and
// test/device/transcript-contract.test.ts checks that the simulator prints those samples' lines.
// Nothing here is shared with the client's parsers (activities/): the simulator is a second
// opinion on what the device prints, not a mirror of what we read.

import { keyValues } from './output';

/** Pad a cell to `width`, on the right (text) or on the left (numbers). */
const left = (text: string, width: number) => text.padEnd(width);
const right = (text: string, width: number) => text.padStart(width);
const widest = (...texts: string[]) => Math.max(...texts.map((t) => t.length));

// --- hsm show -------------------------------------------------------------------------------

/** The texts of `hsm show` that are not `Label: value` pairs (Azure 7.2 capture,
 * arsenvlad/azure-dedicated-hsm-examples, README.md; "Partition: <serial>, Name: <name>" as the
 * 6.2.2 and 5.3 captures print a partition). */
export const HSM_SHOW = {
  zeroized: 'HSM IS ZEROIZED !!!!',
  attemptsLeft: (n: number) => `${n} before HSM zeroization!`,
  partitionsHeading: '   Partitions created on HSM:',
  partitionsRule: '   ==============================',
  noPartitions: '   There are no partitions.',
  partition: (serial: string, name: string) => `   Partition: ${serial}, Name: ${name}`,
};

// --- client show ----------------------------------------------------------------------------

/** `client show`: with partitions assigned, the three lines both captures print (Luna 7.x over
 * `ssh host client show`: sampaul-thales/CipherTrust_Notes; Luna SA 5.x: CloudHSM Classic CLI
 * test data, raw_client_partition_list); with none, the five lines of the 5.x capture of a client
 * without partitions (HTL Required, OTT Expiry, "<none>"). No capture shows the HTL and OTT lines
 * beside assigned partitions. */
export function clientShow(name: string, host: string, partitions: string[]): [string, string][] {
  if (partitions.length > 0)
    return [
      ['ClientID', name],
      ['Hostname', host],
      ['Partitions', partitions.map((p) => `"${p}"`).join(', ')],
    ];
  return [
    ['ClientID', name],
    ['Hostname', host],
    ['HTL Required', 'no'],
    ['OTT Expiry', 'n/a'],
    ['Partitions', '<none>'],
  ];
}

// --- partition list -------------------------------------------------------------------------

/** `partition list` on Luna Network HSM 7.x, its heading lines copied from a capture
 * (sampaul-thales/CipherTrust_Notes, CCKM/cckm_luna_partition.md, `ssh host par list`): */
const PARTITION_LIST_HEADING = [
  '                                                                             Storage (bytes)',
  '                                                       Partition    ----------------------------------',
  'Partition            Name                              Version      Objects  Total     Used     Free',
  '===================  ================================  ===========  =======  =======  =======  =======',
  '',
];

export interface PartitionListRow {
  serial: string;
  name: string;
  version: string;
  objects: number;
  total: number;
  used: number;
  free: number;
}

/** A row under that heading: each value in its column (2 spaces between columns), the numbers
 * right-aligned to the end of their rule, as the capture's `1582775433934  sp_sehsm3  0  23
 * 648381  9408  638973` row sits. */
function partitionListRow(r: PartitionListRow): string {
  return [
    left(r.serial, 19),
    left(r.name, 32),
    left(r.version, 11),
    ...[r.objects, r.total, r.used, r.free].map((n) => right(String(n), 7)),
  ]
    .join('  ')
    .trimEnd();
}

/** With no partitions, the text Luna 5.x prints (CloudHSM Classic CLI test data,
 * raw_partition_list_empty: the line, then three blank lines before the result); no 7.x capture
 * of an empty list was found. */
export function partitionList(rows: PartitionListRow[]): string[] {
  if (rows.length === 0) return ['', '   There are no partitions.', '', ''];
  return ['', ...PARTITION_LIST_HEADING, ...rows.map(partitionListRow)];
}

// --- hsm showPolicies -----------------------------------------------------------------------

/** `hsm showPolicies` as firmware 6.20.2 prints it (public capture: pivotal/credhub-release,
 * docs/luna-key-safety.md, `hsm showP` on hsm-2-2-5-9): every line indented by three spaces, the
 * texts wrapped as below (its "may by changed" included), and the policy table's header: */
const POLICY_TEXTS = {
  changeable: [
    '   The following policies describe the current configuration of',
    '   this HSM and may by changed by the HSM Administrator.',
  ],
  destructive: ['   Changing policies marked "destructive" will zeroize (erase', '   completely) the entire HSM.'],
  // the two texts the 6.20.2 capture elides, worded as the Luna SA 6.2.2 capture prints them
  // (IBM Cloud docs, "Enable FIPS 140-2 (Optional)") and wrapped as the two above
  capabilities: [
    '   The following capabilities describe this HSM, and cannot be altered',
    '   except via firmware or capability updates.',
  ],
  configured: [
    '   The following policies are set due to current configuration of',
    '   this HSM and cannot be altered directly by the user.',
  ],
};
const POLICY_HEADER = [
  '   Description                              Value        Code      Destructive',
  '   ===========                              =====        ====      ===========',
];
/** The policy rows: `   SO can reset partition PIN               On           15        Yes`
 * (description to column 44, value 13 wide, code 10 wide: both captures). */
const policyRow = (description: string, value: string, code: number, destructive: boolean) =>
  `   ${left(description, 41)}${left(value, 13)}${left(String(code), 10)}${destructive ? 'Yes' : 'No'}`;

/** The two-column tables above it (capabilities; policies set by the configuration): header and
 * rows as the 6.2.2 capture prints the configured-policy table (`PIN-based authentication
 * True`); the capability table's spacing is lost on every page found: guessed the same. */
const TWO_COLUMN_HEADER = [
  '   Description                              Value',
  '   ===========                              =====',
];
const twoColumnRow = (description: string, value: string) => `   ${left(description, 41)}${value}`;

export interface PolicyRow {
  code: number;
  description: string;
  on: boolean;
  destructive: boolean;
}

export function showPolicies(
  head: [string, string][],
  capabilities: [string, string][],
  configured: [string, string][],
  policies: PolicyRow[],
): string[] {
  return [
    '',
    ...keyValues(head, '   ', 13),
    '',
    ...POLICY_TEXTS.capabilities,
    '',
    ...TWO_COLUMN_HEADER,
    ...capabilities.map(([d, v]) => twoColumnRow(d, v)),
    '',
    ...POLICY_TEXTS.configured,
    '',
    ...TWO_COLUMN_HEADER,
    ...configured.map(([d, v]) => twoColumnRow(d, v)),
    '',
    ...POLICY_TEXTS.changeable,
    '',
    ...POLICY_TEXTS.destructive,
    '',
    ...POLICY_HEADER,
    ...policies.map((p) => policyRow(p.description, p.on ? 'On' : 'Off', p.code, p.destructive)),
  ];
}

// --- guessed tables: package listfile, package list, audit log list ---------------------------

/** A table no capture shows (guessed): a header, a rule of dashes under each column as wide as
 * its widest cell, three spaces between columns, numbers right-aligned. `numeric[i]` marks the
 * right-aligned columns. */
export function guessedTable(names: string[], rows: string[][], numeric: boolean[]): string[] {
  const widths = names.map((n, i) => widest(n, ...rows.map((r) => r[i])));
  const line = (cells: string[], align: boolean[]) =>
    cells
      .map((c, i) => (align[i] ? right(c, widths[i]) : left(c, widths[i])))
      .join('   ')
      .trimEnd();
  const none = names.map(() => false);
  return [
    line(names, none),
    line(
      widths.map((w) => '-'.repeat(w)),
      none,
    ),
    ...rows.map((r) => line(r, numeric)),
  ];
}

/** `package listfile` (guessed: no documentation or capture of its output was found). */
export function packageListfile(files: { name: string; size: number }[]): string[] {
  if (files.length === 0) return ['   No package files found.'];
  return guessedTable(
    ['File', 'Size'],
    files.map((f) => [f.name, String(f.size)]),
    [false, true],
  );
}

/** `package list` (guessed: no capture of its output was found). With none installed, the line
 * test/fixtures/lunash/package-list-empty.txt shows, at the margin. */
export function packageList(packages: string[]): string[] {
  if (packages.length === 0) return ['No packages are installed.'];
  return guessedTable(
    ['Package'],
    packages.map((p) => [p]),
    [false],
  );
}

/** `audit log list` (guessed: the Luna 7 LunaSH reference shows no output). */
export function auditLogList(files: { name: string; size: number }[]): string[] {
  if (files.length === 0) return ['   No audit log files.'];
  return guessedTable(
    ['File', 'Size'],
    files.map((f) => [f.name, String(f.size)]),
    [false, true],
  );
}

// --- network route show ---------------------------------------------------------------------

/** `network route show`: guessed as the Linux kernel routing table it is built on, in the layout
 * of `route -n` (the command itself is Thales': "Updating the Luna Network HSM 7 Appliance
 * Software" names `network route delete`). */
export function routeTable(
  routes: {
    destination: string;
    gateway: string;
    genmask: string;
    flags: string;
    metric: number;
    ref: number;
    use: number;
    iface: string;
  }[],
): string[] {
  const row = (r: (typeof routes)[number]) =>
    `${left(r.destination, 16)}${left(r.gateway, 16)}${left(r.genmask, 16)}${left(r.flags, 6)}${left(String(r.metric), 7)}${left(String(r.ref), 7)}${left(String(r.use), 4)}${r.iface}`;
  return [
    'Kernel IP routing table',
    'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
    ...routes.map(row),
  ];
}

// --- sysconf ntp status ---------------------------------------------------------------------

/** The state lines and the peers header of `sysconf ntp status`, as a Luna SA 5.1 unit printed
 * them (CloudHSM Classic CLI test data, raw_ntp_status_running / _not_running); the peers
 * columns are ntpq's, as Thales' Luna 7 `sysconf ntp status` page documents them. */
export const NTP = {
  running: 'NTP is running',
  notRunning: 'NTP is not running',
  enabled: 'NTP is enabled',
  disabled: 'NTP is disabled',
  peersHeader: '     remote           refid      st t when poll reach   delay   offset  jitter',
};

// --- hsm firmware show ----------------------------------------------------------------------

/** "Upgrade Firmware: 7.7.1" as Thales' Luna HSM Firmware 7.7.1-20 notes show it after `package
 * update`; the Current and Rollback lines, "None" and the spacing guessed. */
export function firmwareShow(current: string, rollback: string | null, upgrade: string | null): [string, string][] {
  return [
    ['Current Firmware', current],
    ['Rollback Firmware', rollback ?? 'None'],
    ['Upgrade Firmware', upgrade ?? 'None'],
  ];
}
