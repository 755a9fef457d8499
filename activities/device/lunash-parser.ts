// Parsing lunash and LunaCM output. Shapes follow Thales' documentation and public captures; each
// is kept as a fixture in test/fixtures/lunash/ (with its source) and tested there. The rule:
// every reader returns what it read or throws UnreadableOutput naming the command and the line;
// "nothing there" is only ever the device's own documented way of saying so.

import { UnreadableOutput } from './errors';
import {
  AUDIT_LOG_LIST,
  NTP_TEXTS,
  PACKAGE_LIST,
  PACKAGE_LISTFILE,
  PARTITION_ARCHIVE_LIST,
  PARTITION_LIST,
  ROUTE_TABLE,
  TEXTS,
} from './lunash-layouts';

/** One line end for every way a device or a PTY writes them: `\r\r\n` (CRLF written through a
 * PTY), `\r\n`, `\n`, and a stray `\r`. Text whose every other line is empty is what `\r\r\n`
 * becomes when read as two line ends (a reader splitting on `\r\n?`): that is undone too. */
export function normaliseOutput(text: string): string {
  const lines = text.replace(/\r*\n/g, '\n').replace(/\r/g, '\n').split('\n');
  const doubled =
    lines.length >= 3 && lines.some((l) => l.trim() !== '') && lines.every((l, i) => i % 2 === 0 || l === '');
  return (doubled ? lines.filter((_, i) => i % 2 === 0) : lines).join('\n');
}

function outputLines(output: string): string[] {
  return withoutWarnings(
    normaliseOutput(output)
      .split('\n')
      .map((l) => l.replace(/\s+$/, '')),
  );
}

// --- warnings -------------------------------------------------------------------------------

/** A warning as LunaCM documents one ("Warning: this role has no secondary credentials.",
 * Thales' LunaCM reference, `role changepw`) and as lunash is taken to print one (guessed: no
 * capture of a lunash warning was found): one line that starts with `Warning:` (or `WARNING:`)
 * and says something after it. A line that merely mentions a warning is not one. */
const WARNING = /^\s*(?:Warning|WARNING):\s+\S/;

export function isWarningLine(line: string): boolean {
  return WARNING.test(line);
}

/** Every warning line of an output, trimmed, in order (wherever it stands): what the step's
 * evidence and the timeline show. */
export function deviceWarnings(output: string): string[] {
  return normaliseOutput(output)
    .split('\n')
    .filter(isWarningLine)
    .map((l) => l.trim());
}

/** The lines with the warnings the device prints before its answer (the first lines, blank lines
 * among them) and right before the result line taken out: the parsers read the answer without
 * them. A warning anywhere else (between a table's rows, inside a section) stays where it is, so
 * a reader that cannot place it fails closed; so does a warning's second line, which is not of
 * the warning form. */
function withoutWarnings(lines: string[]): string[] {
  const drop = new Set<number>();
  for (let i = 0; i < lines.length && (lines[i].trim() === '' || isWarningLine(lines[i])); i++)
    if (isWarningLine(lines[i])) drop.add(i);
  const result = lines.findIndex((l) => RESULT.test(l));
  for (let i = result - 1; i >= 0 && (lines[i].trim() === '' || isWarningLine(lines[i])); i--)
    if (isWarningLine(lines[i])) drop.add(i);
  return drop.size === 0 ? lines : lines.filter((_, i) => !drop.has(i));
}

export interface LunashResult {
  code: number;
  text: string;
  /** `Error:` lines: a zeroizing bad `hsm login` still ends with result 0, so read these too. */
  errors: { line: string; code?: string; name?: string }[];
}

// lunash: `Command Result : 0 (Success)`; LunaCM: `Command Result : No Error` or
// `Command Result : 0x80000203 (LUNA_RET_OBJECT_EXISTS)`
const RESULT = /Command Result\s*:\s*(?:(\d+|0x[0-9A-Fa-f]+)\s*\(([^)]*)\)|(No Error))/;
const ERROR = /^Error:\s+(.*?)(?:\(([0-9A-Fa-fx]{1,10})\s*:\s*([A-Z0-9_]+)\))?\s*$/;

export function parseResult(output: string): LunashResult | undefined {
  const lines = outputLines(output);
  let found: { code: number; text: string } | undefined;
  for (const line of lines) {
    const m = RESULT.exec(line);
    if (m) found = m[3] ? { code: 0, text: m[3] } : { code: Number(m[1]), text: m[2] };
  }
  if (!found) return undefined;
  const errors = lines
    .map((l) => l.trim())
    .filter((l) => l.startsWith('Error:') || l.startsWith('Error in execution:'))
    .map((line) => {
      const m = ERROR.exec(line);
      return { line, code: m?.[2], name: m?.[3] };
    });
  return { ...found, errors };
}

/** The lines that say something: not blank, not the result line. */
function body(output: string): string[] {
  return outputLines(output)
    .filter((l) => l.trim() !== '' && !RESULT.test(l))
    .map((l) => l.trim());
}

const KEY_VALUE = /^\s*([A-Za-z][A-Za-z0-9 #()./'-]*?)\s*:(?:\s+(.*?))?\s*$/;

/** `Label:   value` lines, keyed by label (first occurrence wins). */
export function parseKeyValues(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of outputLines(output)) {
    const m = KEY_VALUE.exec(raw);
    if (m && !(m[1] in out) && !m[1].startsWith('Command Result')) out[m[1]] = m[2] ?? '';
  }
  return out;
}

// --- tables ---------------------------------------------------------------------------------

export interface TableSpec {
  /** The command that printed it (named in errors). */
  command: string;
  /** The columns the caller reads: the table is the first one whose header has them all. */
  columns: readonly string[];
  /** The device's documented texts for "no rows", printed instead of the table. */
  empty?: readonly (string | undefined)[];
}

interface FoundTable {
  header: string;
  names: string[];
  /** Index of the first line after the rule. */
  next: number;
  cells(line: string): string[];
}

const RULE = /^\s*[-=]{2,}(?:\s+[-=]{2,})*$/;

/** Each table of the output: a header line with a rule right beneath it. A rule per column
 * (Luna 7.x) gives the columns' places; one rule under the whole header (Luna 5.x/6.x) leaves the
 * header's names, two or more spaces apart, and rows of that many space-separated values. */
function findTables(lines: string[], command: string): FoundTable[] {
  const tables: FoundTable[] = [];
  lines.forEach((rule, i) => {
    const header = lines[i - 1];
    if (i === 0 || !RULE.test(rule) || header.trim() === '' || RULE.test(header)) return;
    const starts = [...rule.matchAll(/[-=]+/g)].map((m) => m.index);
    if (starts.length > 1) {
      const cells = (line: string) => placeWords(line, starts, command);
      tables.push({ header, names: cells(header), next: i + 1, cells });
      return;
    }
    const names = header.trim().split(/\s{2,}/);
    tables.push({
      header,
      names,
      next: i + 1,
      cells: (line) => {
        const values = line.trim().split(/\s+/);
        if (values.length !== names.length)
          throw new UnreadableOutput(
            command,
            `a row of ${values.length} values under a header of ${names.length} columns`,
            line,
          );
        return values;
      },
    });
  });
  return tables;
}

/** Cut a line into the columns that start at `starts`: each word goes to the column it overlaps
 * most (a right-aligned number may reach into the gap before its column, a long name past its
 * end), so a word is never split; a word that overlaps two columns alike cannot be placed. */
function placeWords(line: string, starts: number[], command: string): string[] {
  const spans = starts.map((s, i) => [i === 0 ? 0 : s, starts[i + 1] ?? Infinity] as const);
  const cells: { from: number; to: number }[] = starts.map(() => ({ from: -1, to: -1 }));
  let last = 0;
  for (const m of line.matchAll(/\S+/g)) {
    const [a, b] = [m.index, m.index + m[0].length];
    const overlaps = spans.map(([s, e]) => Math.max(0, Math.min(b, e) - Math.max(a, s)));
    const best = Math.max(...overlaps);
    const column = overlaps.indexOf(best);
    if (overlaps.lastIndexOf(best) !== column || column < last)
      throw new UnreadableOutput(command, `"${m[0]}" does not sit in one column`, line);
    last = column;
    cells[column] = { from: cells[column].from < 0 ? a : cells[column].from, to: b };
  }
  return cells.map((c) => (c.from < 0 ? '' : line.slice(c.from, c.to)));
}

interface TableRow {
  line: string;
  cells: Record<string, string>;
}

function tableRows(output: string, spec: TableSpec): TableRow[] {
  const lines = outputLines(output);
  const tables = findTables(lines, spec.command);
  const table = tables.find((t) => spec.columns.every((c) => t.names.includes(c)));
  if (!table) {
    const said = body(output);
    if (tables.length === 0 && said.length === 1 && spec.empty?.includes(said[0])) return [];
    const wanted = spec.columns.join(', ');
    if (tables.length > 0)
      throw new UnreadableOutput(
        spec.command,
        `no table with the columns ${wanted} (found: ${tables.map((t) => t.names.join(', ')).join('; ')})`,
        tables[0].header,
      );
    if (said.length === 0) throw new UnreadableOutput(spec.command, `an empty answer where a table (${wanted}) is due`);
    throw new UnreadableOutput(spec.command, `no table (${wanted}), nor a documented "none" text`, said[0]);
  }
  const rows: TableRow[] = [];
  let i = table.next;
  while (i < lines.length && lines[i].trim() === '') i++; // some releases print a blank line first
  for (; i < lines.length && lines[i].trim() !== '' && !RESULT.test(lines[i]); i++) {
    const values = table.cells(lines[i]);
    rows.push({ line: lines[i], cells: Object.fromEntries(table.names.map((n, k) => [n, values[k] ?? ''])) });
  }
  // a header without rows is not one of the device's ways of saying "none"
  if (rows.length === 0) throw new UnreadableOutput(spec.command, 'a table header with no rows under it', table.header);
  return rows;
}

/** The rows of the first table that has the columns `spec` asks for, keyed by its header. */
export function parseTable(output: string, spec: TableSpec): Record<string, string>[] {
  return tableRows(output, spec).map((r) => r.cells);
}

/** A cell of a row, checked: a value that is not what its column holds cannot be read. */
export interface Cells {
  text(column: string, pattern?: RegExp): string;
  integer(column: string): number;
}

function cellsOf(command: string, row: TableRow): Cells {
  const text = (column: string, pattern = /\S/) => {
    const value = row.cells[column] ?? '';
    if (!pattern.test(value))
      throw new UnreadableOutput(command, `${column} "${value}" is not what that column holds`, row.line);
    return value;
  };
  return { text, integer: (column) => Number(text(column, /^\d+$/)) };
}

/** A table read row by row into typed values; any cell that cannot be read fails it all. */
export function readTable<T>(output: string, spec: TableSpec, read: (cells: Cells) => T): T[] {
  return tableRows(output, spec).map((row) => read(cellsOf(spec.command, row)));
}

// --- hsm show -------------------------------------------------------------------------------

export interface HsmShow {
  label: string | null;
  serial: string;
  firmware: string;
  model: string;
  softwareVersion: string;
  zeroized: boolean;
  /** "HSM Admin login attempts left: N before HSM zeroization!": null on a zeroized HSM. */
  soLoginAttemptsLeft: number | null;
  manuallyZeroized: boolean;
  loggedIn: boolean;
  partitions: { serial: string; name: string }[];
  /** Printed from 6.x on; null where the release does not print it (5.x). */
  partitionsAllowed: number | null;
  partitionsCreated: number | null;
  /** HSM Storage Information, in bytes (null where the release does not print it). */
  storageTotal: number | null;
  storageFree: number | null;
}

export const VERSION = /^\d+(?:\.\d+)+(?:-\d+)?$/;
export const PARTITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function oneOf<T>(command: string, field: string, value: string, choices: [RegExp, T][]): T {
  const hit = choices.find(([re]) => re.test(value));
  if (!hit) throw new UnreadableOutput(command, `${field} "${value}" is none of the values it is documented to take`);
  return hit[1];
}

/** The "Partitions created on HSM:" section: "There are no partitions." or one line a partition. */
function hsmShowPartitions(lines: string[]): { serial: string; name: string }[] {
  const heading = lines.findIndex((l) => l.trim() === TEXTS.partitionsHeading);
  if (heading < 0 || !/^\s*=+$/.test(lines[heading + 1] ?? ''))
    throw new UnreadableOutput('hsm show', `no "${TEXTS.partitionsHeading}" section`);
  const partitions: { serial: string; name: string }[] = [];
  let none = false;
  for (const line of lines.slice(heading + 2)) {
    if (line.trim() === '' || /^\s*Number of partitions/.test(line)) break;
    const m = /^\s*Partition:\s+(\d+),\s+Name:\s+(\S+)$/.exec(line);
    if (line.trim() === TEXTS.noPartitions) none = true;
    else if (m) partitions.push({ serial: m[1], name: m[2] });
    else
      throw new UnreadableOutput(
        'hsm show',
        'a line of the partitions section is neither a partition nor "There are no partitions."',
        line,
      );
  }
  if (none ? partitions.length > 0 : partitions.length === 0)
    throw new UnreadableOutput(
      'hsm show',
      'the partitions section neither lists partitions nor says there are none (or says both)',
    );
  return partitions;
}

/** The HSM SO's login attempts left, as `hsm show` prints them (null: "HSM IS ZEROIZED !!!!");
 * anything else is unreadable, never a guess. */
function loginAttemptsLeft(value: string): number | null {
  if (/^HSM IS ZEROIZED/.test(value)) return null;
  const m = /^(\d+) before HSM zeroization!?$/.exec(value);
  if (!m)
    throw new UnreadableOutput(
      'hsm show',
      `HSM Admin login attempts left "${value}" is neither a number of attempts nor "HSM IS ZEROIZED"`,
    );
  return Number(m[1]);
}

export function parseHsmShow(output: string): HsmShow {
  const command = 'hsm show';
  const kv = parseKeyValues(output);
  const need = (key: string, alias?: string) => {
    const value = kv[key] ?? (alias === undefined ? undefined : kv[alias]);
    if (value === undefined) throw new UnreadableOutput(command, `no "${key}" field`);
    return value;
  };
  const count = (key: string) => {
    if (kv[key] === undefined) return null;
    if (!/^\d+$/.test(kv[key])) throw new UnreadableOutput(command, `${key} "${kv[key]}" is not a number`);
    return Number(kv[key]);
  };
  const label = need('HSM Label');
  const serial = need('Serial #');
  const firmware = need('Firmware');
  const model = need('HSM Model', 'Hardware Model'); // 5.x: Hardware Model
  const softwareVersion = need('Software Version');
  if (!/^\S+$/.test(serial)) throw new UnreadableOutput(command, `Serial # "${serial}" is not a serial number`);
  if (!VERSION.test(firmware)) throw new UnreadableOutput(command, `Firmware "${firmware}" is not a version`);
  const partitions = hsmShowPartitions(outputLines(output));
  const show: HsmShow = {
    // empty on a zeroized 7.x unit; older firmware printed "no label"
    label: label === '' || label === 'no label' ? null : label,
    serial,
    firmware,
    model,
    softwareVersion,
    zeroized: oneOf(command, 'HSM Admin login attempts left', need('HSM Admin login attempts left'), [
      [/^HSM IS ZEROIZED/, true],
      [/^\d+ before HSM zeroization!?$/, false],
    ]),
    soLoginAttemptsLeft: loginAttemptsLeft(need('HSM Admin login attempts left')),
    manuallyZeroized: oneOf(command, 'Manually Zeroized', need('Manually Zeroized'), [
      [/^Yes$/, true],
      [/^No$/, false],
    ]),
    loggedIn: oneOf(command, 'HSM Admin login status', need('HSM Admin login status'), [
      [/^Logged In$/i, true],
      [/^Not Logged In$/i, false],
    ]),
    partitions,
    partitionsAllowed: count('Number of partitions allowed'),
    partitionsCreated: count('Number of partitions created'),
    storageTotal: count('Maximum HSM Storage Space (Bytes)'),
    storageFree: count('Free Space Left (Bytes)'),
  };
  if (show.partitionsCreated !== null && show.partitionsCreated !== partitions.length) {
    throw new UnreadableOutput(
      command,
      `it lists ${partitions.length} partitions but says ${show.partitionsCreated} were created`,
    );
  }
  return show;
}

// --- the other outputs the operations read ---------------------------------------------------

/** `partition list`: Luna 7.x (a rule per column) or 5.x/6.x (one full-width rule). */
export function parsePartitionList(output: string): { serial: string; name: string; objects: number }[] {
  const spec = { command: 'partition list', columns: ['Partition', 'Name', 'Objects'], empty: [PARTITION_LIST.empty] };
  return readTable(output, spec, (c) => ({
    serial: c.text('Partition', /^\d+$/),
    name: c.text('Name', PARTITION_NAME),
    objects: c.integer('Objects'),
  }));
}

/** `client show -client <name>`: the partitions assigned to it ("<none>", or quoted names). */
export function parseClientShow(output: string, client: string): string[] {
  const command = 'client show';
  const kv = parseKeyValues(output);
  if (kv.ClientID !== client)
    throw new UnreadableOutput(
      command,
      kv.ClientID === undefined ? 'no "ClientID" field' : `it shows client "${kv.ClientID}", not "${client}"`,
    );
  const partitions = kv.Partitions;
  if (partitions === undefined) throw new UnreadableOutput(command, 'no "Partitions" field');
  if (partitions === TEXTS.clientNoPartitions) return [];
  if (!/^"[^"]+"(?:,\s*"[^"]+")*$/.test(partitions))
    throw new UnreadableOutput(command, `Partitions "${partitions}" is neither "<none>" nor a list of quoted names`);
  return [...partitions.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

export interface SyslogHost {
  host: string;
  /** null: the release lists hosts only (5.1). */
  port: number | null;
  protocol: 'udp' | 'tcp' | null;
}

/** `syslog remotehost list`: "host:port, protocol" under "Remote logging server(s):" (5.3 and
 * later), or bare hosts under "List of syslog remote hosts:" (5.1). */
export function parseSyslogRemoteHosts(output: string): SyslogHost[] {
  const command = 'syslog remotehost list';
  const lines = body(output);
  const heading = lines.findIndex((l) => l === TEXTS.syslogHeading || l === TEXTS.syslogHeading51);
  if (heading < 0) throw new UnreadableOutput(command, `no "${TEXTS.syslogHeading}" heading`, lines[0]);
  const hostsOnly = lines[heading] === TEXTS.syslogHeading51;
  return lines.slice(heading + 1).flatMap((line): SyslogHost[] => {
    if (/^=+$/.test(line)) return [];
    const m = hostsOnly ? /^([A-Za-z0-9.:-]+)$/.exec(line) : /^(\S+):(\d+),\s*(udp|tcp)$/i.exec(line);
    if (!m)
      throw new UnreadableOutput(
        command,
        hostsOnly ? 'a line that is not a host' : 'a line that is not "host:port, protocol"',
        line,
      );
    return [
      {
        host: m[1],
        port: hostsOnly ? null : Number(m[2]),
        protocol: hostsOnly ? null : (m[3].toLowerCase() as 'udp' | 'tcp'),
      },
    ];
  });
}

/** `hsm showPolicies`: the table of the policies the HSM SO may change (after the capabilities and
 * the policies set by the configuration), with whether the appliance says changing each is
 * destructive. Read by structure, in both forms: the 6.x capture (IBM 6.2.2: a header over an
 * `=` rule per column) and the 7.x form (test/fixtures/lunash/hsm-showpolicies-7.x.txt, guessed:
 * no public 7.x capture was found), whose rows are matched to the columns they sit under. The
 * table is the one whose header names Description, Value, Code and Destructive; a row that does
 * not fit it, a code listed twice or a value that is neither On/Off nor a number fails it all. */
export function parsePolicies(
  output: string,
): { code: string; description: string; value: string; destructive: boolean }[] {
  const command = 'hsm showPolicies';
  const spec = { command, columns: ['Description', 'Value', 'Code', 'Destructive'] };
  const policies = readTable(output, spec, (c) => {
    const value = c.text('Value', /^(?:On|Off|\d+)$/);
    const destructive = c.text('Destructive', /^(?:Yes|No)$/) === 'Yes';
    return {
      code: String(c.integer('Code')),
      description: c.text('Description'),
      value: value === 'On' ? '1' : value === 'Off' ? '0' : value,
      destructive,
    };
  });
  const codes = policies.map((p) => p.code);
  const twice = codes.find((code, i) => codes.indexOf(code) !== i);
  if (twice !== undefined) throw new UnreadableOutput(command, `policy ${twice} is listed twice`);
  return policies;
}

/** `audit remotehost list` (layout guessed as `syslog remotehost list` prints it: no capture or
 * example was found): "host:port, protocol" lines under the heading; none under it: no host. */
export function parseAuditRemoteHosts(output: string): { host: string; port: number; protocol: 'udp' | 'tcp' }[] {
  const command = 'audit remotehost list';
  const lines = body(output);
  const heading = lines.findIndex((l) => /^Remote (?:audit )?logging server\(s\):$/i.test(l));
  if (heading < 0) throw new UnreadableOutput(command, 'no "Remote audit logging server(s):" heading', lines[0]);
  return lines.slice(heading + 1).flatMap((line) => {
    if (/^=+$/.test(line)) return [];
    const m = /^(\S+):(\d+),\s*(udp|tcp)$/i.exec(line);
    if (!m) throw new UnreadableOutput(command, 'a line that is not "host:port, protocol"', line);
    return [{ host: m[1], port: Number(m[2]), protocol: m[3].toLowerCase() as 'udp' | 'tcp' }];
  });
}

export interface NtpStatus {
  running: boolean;
  enabled: boolean;
  /** The peers table: `*` marks the source the clock is synchronised to, `+` a good candidate. */
  peers: { remote: string; refid: string; selected: boolean }[];
  /** The appliance clock (epoch ms), from the NTP timestamp `ntp_gettime()` prints (UTC, unlike
   * the local time printed beside it). */
  time: number;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_EPOCH_OFFSET = 2_208_988_800;

/** `sysconf ntp status` (5.1 capture, Amazon CloudHSM Classic CLI test data; Thales' Luna 7 page
 * documents the peers columns). */
export function parseNtpStatus(output: string): NtpStatus {
  const command = 'sysconf ntp status';
  const said = body(output);
  const flag = (yes: string, no: string) => {
    if (said.includes(yes)) return true;
    if (said.includes(no)) return false;
    throw new UnreadableOutput(command, `neither "${yes}" nor "${no}"`, said[0]);
  };
  const running = flag(NTP_TEXTS.running, NTP_TEXTS.notRunning);
  const enabled = flag(NTP_TEXTS.enabled, NTP_TEXTS.disabled);
  const lines = outputLines(output);
  const header = lines.findIndex((l) => /^\s*remote\s+refid\s+st\s+t\s+when\s+poll\s+reach/.test(l));
  if (header < 0) throw new UnreadableOutput(command, 'no peers table (remote, refid, st, t, when, poll, reach …)');
  const peers: NtpStatus['peers'] = [];
  for (const line of lines.slice(header + 1)) {
    if (/^=+$/.test(line.trim())) {
      if (peers.length > 0) break;
      continue;
    }
    if (line.trim() === '') break;
    const m = /^([ *+#ox.-])(\S+)\s+(\S+)\s+\d+\s+\S\s/.exec(line);
    if (!m) throw new UnreadableOutput(command, 'a line of the peers table that is not a peer', line);
    peers.push({ remote: m[2], refid: m[3], selected: m[1] === '*' });
  }
  const time = /^\s*time\s+([0-9a-f]{8})\.[0-9a-f]{8}\s/m.exec(normaliseOutput(output));
  if (!time) throw new UnreadableOutput(command, 'no NTP timestamp ("time <hex>.<hex>") under ntp_gettime()');
  return { running, enabled, peers, time: (parseInt(time[1], 16) - NTP_EPOCH_OFFSET) * 1000 };
}

/** `client fingerprint -client <name>` (5.x capture): the MD5 of the registered certificate. */
export function parseClientFingerprint(output: string): string {
  const fingerprint = parseKeyValues(output)['Certificate fingerprint'];
  if (fingerprint === undefined || !/^[0-9A-F]{2}(?::[0-9A-F]{2}){15}$/.test(fingerprint)) {
    throw new UnreadableOutput(
      'client fingerprint',
      fingerprint === undefined ? 'no "Certificate fingerprint" field' : `"${fingerprint}" is not an MD5 fingerprint`,
    );
  }
  return fingerprint;
}

/** `audit log list` (layout guessed): the HSM audit log files, newest last. */
export function parseAuditLogList(output: string): { file: string; size: number }[] {
  const spec = { command: 'audit log list', columns: ['File', 'Size'], empty: [AUDIT_LOG_LIST.empty] };
  return readTable(output, spec, (c) => ({
    file: c.text('File', /^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
    size: c.integer('Size'),
  }));
}

/** `package listfile` (layout guessed). */
export function parsePackageFiles(output: string): { file: string; size: number }[] {
  return readTable(
    output,
    { command: 'package listfile', columns: ['File', 'Size'], empty: [PACKAGE_LISTFILE.empty] },
    (c) => ({ file: c.text('File', /^\S+$/), size: c.integer('Size') }),
  );
}

/** `package list` (layout guessed): the packages installed on the appliance. */
export function parsePackageList(output: string): string[] {
  return readTable(output, { command: 'package list', columns: ['Package'], empty: [PACKAGE_LIST.empty] }, (c) =>
    c.text('Package', /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/),
  );
}

export interface FirmwareShow {
  current: string;
  /** The firmware a rollback would return to (it zeroizes the HSM); null for none. */
  rollback: string | null;
  /** The image staged on the appliance for `hsm firmware upgrade`; null for none. */
  upgrade: string | null;
}

/** `hsm firmware show`: the running firmware, the rollback target and the staged upgrade. */
export function parseFirmwareShow(output: string): FirmwareShow {
  const command = 'hsm firmware show';
  const kv = parseKeyValues(output);
  const version = (key: string, noneAllowed: boolean): string | null => {
    const value = kv[key];
    if (value === undefined) throw new UnreadableOutput(command, `no "${key}" field`);
    if (noneAllowed && value === TEXTS.noFirmware) return null;
    if (!VERSION.test(value))
      throw new UnreadableOutput(
        command,
        `${key} "${value}" is not a version${noneAllowed ? ` nor "${TEXTS.noFirmware}"` : ''}`,
      );
    return value;
  };
  return {
    current: version(TEXTS.firmwareCurrent, false)!,
    rollback: version(TEXTS.firmwareRollback, true),
    upgrade: version(TEXTS.firmwareUpgrade, true),
  };
}

/** `hsm stc status` (layout guessed): whether STC protects the HSM admin channel. */
export function parseStcStatus(output: string): { enabled: boolean } {
  const value = parseKeyValues(output)[TEXTS.stcEnabled];
  if (value === undefined)
    throw new UnreadableOutput('hsm stc status', `no "${TEXTS.stcEnabled}" field`, body(output)[0]);
  return {
    enabled: oneOf('hsm stc status', TEXTS.stcEnabled, value, [
      [/^Yes$/i, true],
      [/^No$/i, false],
    ]),
  };
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** `network route show` (layout guessed: the kernel routing table): the default routes, each a
 * row whose destination and mask are 0.0.0.0. Any row it cannot read fails it all. */
export function parseDefaultRoutes(output: string): { gateway: string; iface: string }[] {
  const command = ROUTE_TABLE.command;
  const lines = body(output);
  const heading = lines.indexOf(ROUTE_TABLE.heading);
  if (heading < 0) throw new UnreadableOutput(command, `no "${ROUTE_TABLE.heading}" heading`, lines[0]);
  const header = lines[heading + 1] ?? '';
  if (header.split(/\s+/).join(' ') !== ROUTE_TABLE.columns.join(' '))
    throw new UnreadableOutput(command, `the header is not "${ROUTE_TABLE.columns.join(' ')}"`, header);
  const rows = lines.slice(heading + 2).map((line) => {
    const cells = line.split(/\s+/);
    const [destination, gateway, genmask, flags] = cells;
    const address = (v: string) => IPV4.test(v) || v === 'default' || v === '*';
    if (
      cells.length !== ROUTE_TABLE.columns.length ||
      ![destination, gateway, genmask].every(address) ||
      !/^[A-Z!]+$/.test(flags)
    ) {
      throw new UnreadableOutput(command, 'a line that is not a route', line);
    }
    return { destination, gateway, genmask, iface: cells[7] };
  });
  if (rows.length === 0)
    throw new UnreadableOutput(command, 'a routing table with no routes (the appliance answers over one)');
  const isDefault = (r: { destination: string; genmask: string }) =>
    (r.destination === '0.0.0.0' || r.destination === 'default') &&
    (r.genmask === '0.0.0.0' || r.destination === 'default');
  return rows.filter(isDefault).map((r) => ({ gateway: r.gateway, iface: r.iface }));
}

/** LunaCM `slot list`: "Slot Id ->" blocks with their "Serial Number ->". */
export function parseSlotList(
  output: string,
): { id: number; serial: string; label: string; description: string; model: string; firmware: string }[] {
  const command = 'slot list';
  const slots: Record<string, string>[] = [];
  for (const line of outputLines(output)) {
    const m = /^\s*([A-Za-z][A-Za-z ]*?)\s*->\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Slot Id') slots.push({});
    else if (slots.length === 0) throw new UnreadableOutput(command, 'a field before the first "Slot Id ->"', line);
    slots[slots.length - 1][m[1]] = m[2].trim();
  }
  if (slots.length === 0)
    throw new UnreadableOutput(
      command,
      'no "Slot Id ->" (a backup workstation has at least its Backup HSM)',
      body(output)[0],
    );
  return slots.map((s) => {
    const serial = s['Serial Number'];
    if (!/^\d+$/.test(s['Slot Id']) || !serial)
      throw new UnreadableOutput(command, `slot "${s['Slot Id']}" has no readable id and serial number`);
    return {
      id: Number(s['Slot Id']),
      serial,
      label: s.Label ?? '',
      description: s['Slot Description'] ?? '',
      model: s.Model ?? '',
      firmware: s['Firmware Version'] ?? '',
    };
  });
}

/** LunaCM `partition archive list` (layout guessed): the backup partitions on a Backup HSM. */
export function parseArchiveList(
  output: string,
  command = 'partition archive list',
): { label: string; objects: number }[] {
  const spec = { command, columns: ['Partition Name', 'Objects'], empty: [PARTITION_ARCHIVE_LIST.empty] };
  return readTable(output, spec, (c) => ({
    label: c.text('Partition Name', PARTITION_NAME),
    objects: c.integer('Objects'),
  }));
}
