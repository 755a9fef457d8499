// The output layouts of the lunash / LunaCM commands the operations read, each with where its
// shape comes from (a Thales documentation page or a public capture; "guessed" where none was
// found). One source for both sides: the parsers take their columns and their "nothing here"
// texts from here, and the simulator renders its tables from here. test/fixtures/lunash/ holds a
// sample of each; simulator/SOURCES.md lists every command the simulator answers.

export interface Column {
  name: string;
  /** Cell width; absent: as wide as the widest of the name and the values. */
  width?: number;
  /** Length of the rule under the name, when it is not the cell width. */
  rule?: number;
  align?: 'left' | 'right';
  /** Spaces before the name in the header (some headers sit one column in). */
  headerOffset?: number;
}

export interface TableLayout {
  command: string;
  source: string;
  columns: Column[];
  /** Spaces before the first column, and between two columns. */
  indent: number;
  gap: number;
  ruleChar: '-' | '=';
  /** Lines above the header (a heading over some columns). */
  above?: string[];
  /** A blank line between the rule and the first row. */
  blankBeforeRows?: boolean;
  /** What the command prints instead of an empty table. */
  empty?: string;
}

/** Luna 7.x: a rule per column (public capture, Luna Network HSM 7.x over `ssh host par list`:
 * sampaul-thales/CipherTrust_Notes, CCKM/cckm_luna_partition.md). Luna 5.x/6.x print one
 * full-width rule instead (test/fixtures/lunash/partition-list-5.x.txt); the parser reads both. */
export const PARTITION_LIST: TableLayout = {
  command: 'partition list',
  source: 'capture of Luna 7.x (sampaul-thales/CipherTrust_Notes, CCKM/cckm_luna_partition.md); empty text as captured on Luna 5.x (Amazon CloudHSM Classic CLI test data)',
  columns: [
    { name: 'Partition', width: 19 },
    { name: 'Name', width: 32 },
    { name: 'Version', width: 11 },
    { name: 'Objects', width: 7, align: 'right' },
    { name: 'Total', width: 7, align: 'right' },
    { name: 'Used', width: 7, align: 'right', headerOffset: 1 },
    { name: 'Free', width: 7, align: 'right', headerOffset: 1 },
  ],
  indent: 0,
  gap: 2,
  ruleChar: '=',
  above: [`${' '.repeat(77)}Storage (bytes)`, `${' '.repeat(55)}Partition    ${'-'.repeat(34)}`],
  blankBeforeRows: true,
  empty: 'There are no partitions.',
};

const POLICY_SOURCE = 'IBM Cloud docs, "Enable FIPS 140-2 (Optional)" (citrix-netscaler-vpx), Luna 6.2.2 captures; Thales Luna SA 5.3 docs, "Set HSM Policies (Password Authentication)"';
const description = { name: 'Description', width: 41, rule: 11 };

/** `hsm showPolicies` prints the capabilities first, then the policies set by the configuration,
 * then the policies the HSM SO may change: three tables, told apart by their columns. */
export const HSM_CAPABILITIES: TableLayout = {
  command: 'hsm showPolicies',
  source: `${POLICY_SOURCE} (the docs page lost the capability table's spacing: its widths are guessed)`,
  columns: [description, { name: 'Value', rule: 5 }],
  indent: 3,
  gap: 0,
  ruleChar: '=',
};

export const HSM_CONFIGURED_POLICIES: TableLayout = { ...HSM_CAPABILITIES, source: POLICY_SOURCE };

export const HSM_POLICIES: TableLayout = {
  command: 'hsm showPolicies',
  source: `${POLICY_SOURCE}; widths as in a 6.20.2 capture`,
  columns: [description, { name: 'Value', width: 13, rule: 5 }, { name: 'Code', width: 10, rule: 4 }, { name: 'Destructive', rule: 11 }],
  indent: 3,
  gap: 0,
  ruleChar: '=',
};

export const HSM_POLICY_TEXTS = {
  capabilities: ['The following capabilities describe this HSM, and cannot be altered', 'except via firmware or capability updates.'],
  configured: ['The following policies are set due to current configuration of', 'this HSM and cannot be altered directly by the user.'],
  changeable: ['The following policies describe the current configuration of', 'this HSM and may by changed by the HSM Administrator.'],
  destructive: ['Changing policies marked "destructive" will zeroize (erase', 'completely) the entire HSM.'],
};

/** guessed: no documentation or capture of `package listfile` was found. */
export const PACKAGE_LISTFILE: TableLayout = {
  command: 'package listfile',
  source: 'guessed',
  columns: [{ name: 'File' }, { name: 'Size', align: 'right' }],
  indent: 0,
  gap: 3,
  ruleChar: '-',
  empty: 'No package files found.',
};

/** guessed: `package list` lists the packages installed on the appliance (the reboot patch a
 * firmware release requires is one); no capture of its output was found. */
export const PACKAGE_LIST: TableLayout = {
  command: 'package list',
  source: 'guessed',
  columns: [{ name: 'Package' }],
  indent: 0,
  gap: 3,
  ruleChar: '-',
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
  widths: [16, 16, 16, 6, 7, 7, 4, 0],
} as const;

export function renderRouteTable(rows: string[][]): string[] {
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(ROUTE_TABLE.widths[i])).join('').trimEnd();
  return [ROUTE_TABLE.heading, line(ROUTE_TABLE.columns), ...rows.map(line)];
}

/** guessed: no documentation or capture of LunaCM `partition archive list` was found. Only what
 * Thales' `partition archive backup` page says a backup partition has is read: its name (the
 * command's `-partition`) and its objects (a domain mismatch "creates an empty backup
 * partition"); nothing documents a source serial or a creation time, so none is read. */
export const PARTITION_ARCHIVE_LIST: TableLayout = {
  command: 'partition archive list',
  source: 'guessed',
  columns: [{ name: 'Partition Name' }, { name: 'Objects', align: 'right' }],
  indent: 0,
  gap: 3,
  ruleChar: '-',
  empty: 'No backup partitions.',
};

/** guessed: the `audit log list` page (Luna 7 LunaSH reference) shows no output. */
export const AUDIT_LOG_LIST: TableLayout = {
  command: 'audit log list',
  source: 'guessed',
  columns: [{ name: 'File' }, { name: 'Size', align: 'right' }],
  indent: 0,
  gap: 3,
  ruleChar: '-',
  empty: 'No audit log files.',
};

/** `sysconf ntp status` (5.1 capture, Amazon CloudHSM Classic CLI test data): the state lines,
 * then the peers table ntpq prints (its columns as Thales' Luna 7 page documents them). */
export const NTP_TEXTS = {
  running: 'NTP is running',
  notRunning: 'NTP is not running',
  enabled: 'NTP is enabled',
  disabled: 'NTP is disabled',
  peersHeader: '     remote           refid      st t when poll reach   delay   offset  jitter',
};

/** LunaCM's questions on the backup workstation. Their form follows the captured `partition init`
 * (`Enter password for Partition SO: `, `Type 'proceed' to continue, or 'quit' to quit now ->`,
 * Cloudflare docs, Keyless SSL with Azure Dedicated HSM); their words are guessed. The client
 * answers them by what they ask for (a role's password, the Backup HSM SO's password, a domain),
 * and any other question fails the step without an answer. */
export const LUNACM_QUESTIONS = {
  /** `role login -name co` */
  rolePassword: (role: string) => `Enter password for ${role}: `,
  /** `partition archive backup`, creating (or replacing) the backup partition */
  backupSoPassword: (slot: number) => `Enter password for the SO of the Backup HSM in slot ${slot}: `,
  backupDomain: 'Enter the cloning domain for the backup partition: ',
  proceed: "Type 'proceed' to continue, or 'quit' to quit now ->",
};

/** Texts of the key/value outputs (hsm show: Azure Dedicated HSM 7.2 capture,
 * arsenvlad/azure-dedicated-hsm-examples; 5.x/6.x captures in test/fixtures/lunash/). */
export const TEXTS = {
  noPartitions: 'There are no partitions.',
  zeroized: 'HSM IS ZEROIZED !!!!',
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

function widths(layout: TableLayout, rows: string[][]): number[] {
  return layout.columns.map((c, i) => c.width ?? Math.max(c.name.length, ...rows.map((r) => r[i].length)));
}

/** The table as the device prints it (the simulator's side of the layout). */
export function renderTable(layout: TableLayout, rows: string[][]): string[] {
  if (rows.length === 0 && layout.empty) return [`   ${layout.empty}`];
  const w = widths(layout, rows);
  const pad = (text: string, i: number, align = layout.columns[i].align) => (align === 'right' ? text.padStart(w[i]) : text.padEnd(w[i]));
  const line = (cells: string[], align?: 'left') => `${' '.repeat(layout.indent)}${cells.map((c, i) => pad(c, i, align ?? layout.columns[i].align)).join(' '.repeat(layout.gap))}`.trimEnd();
  const rule = layout.columns.map((c, i) => layout.ruleChar.repeat(c.rule ?? w[i]));
  return [
    ...(layout.above ?? []),
    line(layout.columns.map((c) => `${' '.repeat(c.headerOffset ?? 0)}${c.name}`), 'left'),
    line(rule, 'left'),
    ...(layout.blankBeforeRows ? [''] : []),
    ...rows.map((r) => line(r)),
  ];
}
