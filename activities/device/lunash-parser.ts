// Parsing lunash output. Formats follow the Luna Network HSM 7 LunaSH reference; see
// test/unit/lunash-parser.test.ts for captured samples.

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
  const lines = output.split(/\r?\n/);
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

/** `Label:   value` lines, keyed by label (first occurrence wins). */
export function parseKeyValues(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of output.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z][A-Za-z0-9 #()./'-]*?)\s*:(?:\s+(.*?))?\s*$/.exec(raw);
    if (m && !(m[1] in out) && !m[1].startsWith('Command Result')) out[m[1]] = m[2] ?? '';
  }
  return out;
}

/** A table with a header line followed by a line of dashes. */
export function parseTable(output: string): Record<string, string>[] {
  const lines = output.split(/\r?\n/).map((l) => l.replace(/\s+$/, ''));
  const dashIndex = lines.findIndex((l) => /^(?:-{2,}|={2,})(?:\s+(?:-{2,}|={2,}))*$/.test(l.trim()));
  if (dashIndex < 1) return [];
  const header = lines[dashIndex - 1];
  const starts: number[] = [];
  const dashes = lines[dashIndex];
  for (let i = 0; i < dashes.length; i++) if (dashes[i] !== ' ' && (i === 0 || dashes[i - 1] === ' ')) starts.push(i);
  // a column spans from its rule's start to the next rule's start (values may be right-aligned)
  const cut = (line: string) => starts.map((s, i) => line.slice(i === 0 ? 0 : s, starts[i + 1]).trim());
  const names = cut(header);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(dashIndex + 1)) {
    if (line.trim() === '' && rows.length === 0) continue; // some versions print a blank line first
    if (line.trim() === '' || RESULT.test(line)) break;
    const cells = cut(line);
    rows.push(Object.fromEntries(names.map((n, i) => [n, cells[i] ?? ''])));
  }
  return rows;
}

export interface HsmShow {
  label: string | null;
  serial: string;
  firmware: string;
  model: string;
  softwareVersion: string;
  zeroized: boolean;
  manuallyZeroized: boolean;
  loggedIn: boolean;
  partitions: { serial: string; name: string }[];
  partitionsAllowed: number;
  partitionsCreated: number;
}

export function parseHsmShow(output: string): HsmShow {
  const kv = parseKeyValues(output);
  const need = (key: string) => {
    if (kv[key] === undefined) throw new Error(`unexpected 'hsm show' output: no "${key}" field`);
    return kv[key];
  };
  const label = need('HSM Label');
  return {
    // empty on a zeroized 7.x unit; older firmware printed "no label"
    label: label === '' || label === 'no label' ? null : label,
    serial: need('Serial #'),
    firmware: need('Firmware'),
    model: need('HSM Model'),
    softwareVersion: kv['Software Version'] ?? 'unknown',
    zeroized: /ZEROIZED/i.test(need('HSM Admin login attempts left')),
    manuallyZeroized: kv['Manually Zeroized'] === 'Yes',
    loggedIn: /^Logged In/i.test(kv['HSM Admin login status'] ?? ''),
    partitions: [...output.matchAll(/Partition:\s+(\d+),\s+Name:\s+(\S+)/g)].map((m) => ({ serial: m[1], name: m[2] })),
    partitionsAllowed: Number(kv['Number of partitions allowed'] ?? 0),
    partitionsCreated: Number(kv['Number of partitions created'] ?? 0),
  };
}
