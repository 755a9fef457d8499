import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A recorded or documented lunash / LunaCM output: `test/fixtures/lunash/<name>.txt`, whose
 * first lines say where its shape comes from (`# source: …`) and which command printed it
 * (`# command: …`); the rest is the output as the client hands it on (no echo, no prompt). */
export interface Fixture {
  name: string;
  source: string;
  command: string;
  output: string;
}

export const FIXTURES_DIR = join(__dirname, '../fixtures/lunash');

export function parseFixture(name: string, text: string): Fixture {
  const lines = text.split('\n');
  const header: Record<string, string> = {};
  while (lines[0]?.startsWith('# ')) {
    const m = /^# (\w+): (.*)$/.exec(lines.shift()!);
    if (m) header[m[1]] = m[2];
  }
  if (!header.source || !header.command)
    throw new Error(`fixture ${name}: needs "# source:" and "# command:" lines first`);
  return { name, source: header.source, command: header.command, output: lines.join('\n') };
}

export function fixture(name: string): Fixture {
  return parseFixture(name, readFileSync(join(FIXTURES_DIR, `${name}.txt`), 'utf8'));
}

export function allFixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => fixture(f.replace(/\.txt$/, '')));
}

/** The same output with the line ends a device or a PTY may use, and as today's client splits
 * `\r\r\n` (on `\r\n?`, which leaves an empty line after every line). */
export function lineEndVariants(output: string): [string, string][] {
  const crcrlf = output.replace(/\n/g, '\r\r\n');
  return [
    ['\\r\\n', output.replace(/\n/g, '\r\n')],
    ['\\r\\r\\n', crcrlf],
    ['\\r\\r\\n split on \\r\\n?', crcrlf.replace(/\r\n?/g, '\n')],
  ];
}
