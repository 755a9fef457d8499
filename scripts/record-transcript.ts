#!/usr/bin/env node
// Record what a real appliance (lunash) or backup workstation (LunaCM) answers to read-only
// commands, as fixtures for test/fixtures/lunash/:
//
//   npm run record -- <host> <port> <user> <SHA256:fingerprint> --password-env VAR \
//     [--scrub <regex>]... [--out <dir>] [--shell lunacm] [--force] -- "hsm show" "partition list"
//
// It logs in with the device layer's own client (LunaShell: pinned host key, password), refuses
// every command that is not on a read-only allowlist before it connects, and writes one file a
// command with the password and every --scrub match replaced by ********, under a header saying
// what it was recorded from (`hsm show`'s model and firmware, or LunaCM's `slot list`) and when.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { LunaShell } from '../activities/device/luna-shell';
import { normaliseOutput, parseHsmShow, parseSlotList } from '../activities/device/lunash-parser';
import { resolveSecret, scrub } from '../activities/device/secrets';

const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}';

/** Commands that only read, spelled out in full (lunash also takes abbreviations: not here). */
export const READ_ONLY_COMMANDS: RegExp[] = [
  /^hsm show$/i,
  /^hsm showPolicies$/i,
  /^hsm update show$/i,
  /^partition list$/i,
  new RegExp(`^partition show(?: -partition ${NAME})?$`, 'i'),
  /^client list$/i,
  new RegExp(`^client show -client ${NAME}$`, 'i'),
  /^syslog remotehost list$/i,
  /^package listfile$/i,
  // the firmware upgrade's reads, whose layouts are guessed: record them where you can
  /^hsm firmware show$/i,
  /^hsm stc status$/i,
  /^network route show$/i,
  /^package list$/i,
  /^user list$/i,
  /^status sysstat show$/i,
  /^slot list$/i,
  /^partition archive list -slot \d{1,3}$/i,
];

export function refusedCommands(commands: string[]): string[] {
  return commands.filter((c) => !READ_ONLY_COMMANDS.some((re) => re.test(c)));
}

export interface RecordOptions {
  host: string;
  port: number;
  user: string;
  fingerprint: string;
  password: string;
  commands: string[];
  /** Patterns (regular expressions) whose matches are replaced by ******** in what is written. */
  scrub?: string[];
  out: string;
  shell?: 'lunash' | 'lunacm';
  /** How the workstation's shell starts LunaCM (`--shell lunacm`). */
  lunacm?: string;
  force?: boolean;
  now?: Date;
}

export function fixtureName(command: string): string {
  return command
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** What answered: model, firmware and software from `hsm show`, or the first slot of LunaCM. */
async function identify(shell: LunaShell, kind: 'lunash' | 'lunacm', answers: Map<string, string>): Promise<string> {
  const command = kind === 'lunash' ? 'hsm show' : 'slot list';
  const output = answers.get(command) ?? (await shell.run(command, { allowError: true })).output;
  try {
    if (kind === 'lunash') {
      const show = parseHsmShow(output);
      return `${show.model}, firmware ${show.firmware}, software ${show.softwareVersion}`;
    }
    const [slot] = parseSlotList(output);
    return `LunaCM slot ${slot.id}: ${slot.model || 'model unknown'}, firmware ${slot.firmware || 'unknown'}`;
  } catch {
    return `a device whose '${command}' could not be read`;
  }
}

/** Record the answers; returns the files written. Refuses before connecting if any command is not
 * read-only, or (without `force`) if a file would be overwritten. */
export async function recordTranscript(o: RecordOptions): Promise<string[]> {
  const refused = refusedCommands(o.commands);
  if (refused.length > 0)
    throw new Error(`refused (not on the read-only allowlist): ${refused.map((c) => JSON.stringify(c)).join(', ')}`);
  const patterns = (o.scrub ?? []).map((p) => new RegExp(p, 'g'));
  const clean = (text: string) => patterns.reduce((t, re) => t.replace(re, '********'), scrub(text, [o.password]));
  const names: string[] = [];
  for (const c of o.commands) {
    const base = fixtureName(clean(c));
    let name = base;
    for (let n = 2; names.includes(name); n++) name = `${base}-${n}`; // two scrubbed names alike
    names.push(name);
  }
  const files = names.map((name) => join(o.out, `${name}.txt`));
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0 && !o.force) throw new Error(`would overwrite ${existing.join(', ')} (use --force)`);

  const kind = o.shell ?? 'lunash';
  // a backup workstation is a shell login that starts LunaCM
  const shell = await LunaShell.open(
    { host: o.host, port: o.port, hostKeyFingerprint: o.fingerprint },
    o.user,
    { password: o.password },
    { hostShell: kind === 'lunacm' },
  );
  try {
    if (kind === 'lunacm') await shell.startLunacm(o.lunacm ?? 'lunacm');
    const answers = new Map<string, string>();
    for (const command of o.commands)
      answers.set(command, normaliseOutput((await shell.run(command, { allowError: true })).output));
    const source = await identify(shell, kind, answers);
    const date = (o.now ?? new Date()).toISOString().slice(0, 10);
    mkdirSync(o.out, { recursive: true });
    o.commands.forEach((command, i) => {
      writeFileSync(
        files[i],
        `${clean(`# source: recorded from ${source} on ${date}\n# command: ${command}\n${answers.get(command)}`)}\n`,
      );
    });
    return files;
  } finally {
    shell.close();
  }
}

async function main(): Promise<void> {
  const program = new Command('record')
    .description('record read-only lunash / LunaCM answers of a real device as test fixtures (secrets scrubbed)')
    .argument('<host>')
    .argument('<port>')
    .argument('<user>')
    .argument('<fingerprint>', 'the pinned SHA256: host key fingerprint')
    .argument(
      '<commands...>',
      `read-only commands, each quoted (${READ_ONLY_COMMANDS.length} forms allowed: hsm show, partition list, client show -client <name>, …)`,
    )
    .requiredOption('--password-env <var>', 'environment variable holding the password')
    .option(
      '--scrub <regex>',
      'replace matches by ******** (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--out <dir>', 'where the fixtures go', 'test/fixtures/lunash/recorded')
    .option(
      '--shell <lunash|lunacm>',
      'lunash (an appliance) or lunacm (a backup workstation: its shell starts LunaCM)',
      'lunash',
    )
    .option('--lunacm <command>', 'how the workstation starts LunaCM', 'lunacm')
    .option('--force', 'overwrite existing files')
    .showHelpAfterError();
  program.parse();
  const [host, port, user, fingerprint, ...commands] = program.args;
  const opts = program.opts<{
    passwordEnv: string;
    scrub: string[];
    out: string;
    shell: string;
    lunacm: string;
    force?: boolean;
  }>();
  const password = await resolveSecret(`env:${opts.passwordEnv}`); // as the inventory's env: references
  if (opts.shell !== 'lunash' && opts.shell !== 'lunacm') throw new Error('--shell is lunash or lunacm');
  if (!/^[A-Za-z0-9_./-]{1,200}$/.test(opts.lunacm)) throw new Error('--lunacm is a command or a path');
  const files = await recordTranscript({
    host,
    port: Number(port),
    user,
    fingerprint,
    password,
    commands,
    scrub: opts.scrub,
    out: opts.out,
    shell: opts.shell,
    lunacm: opts.lunacm,
    force: opts.force,
  });
  for (const f of files) console.log(`wrote ${f}`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`record: ${err.message}`);
    process.exit(1);
  });
}
