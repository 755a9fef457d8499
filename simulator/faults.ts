import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

/** Faults an appliance injects, read from `<dir>/faults.json` before every command, so a test or
 * the simulator CLI can change them while the server runs. */
export const FaultsSchema = z
  .object({
    /** Added to every command's response. */
    latencyMs: z.number().int().min(0).default(0),
    /** The command (matched by prefix, case-insensitive) fails with this lunash error. */
    commandErrors: z
      .array(
        z.object({
          match: z.string(),
          code: z.string().default('C0000001'),
          name: z.string().default('RC_GENERAL_ERROR'),
          times: z.number().int().min(1).optional(),
        }),
      )
      .default([]),
    /** The connection drops in the middle of the command, after (`applied`) or before its effect. */
    dropConnection: z
      .array(z.object({ match: z.string(), applied: z.boolean(), times: z.number().int().min(1).optional() }))
      .default([]),
    /** The command's effect lands at once but its reply comes `ms` later (a long zeroize or
     * update): the window in which a drill kills the worker. */
    holdReply: z
      .array(z.object({ match: z.string(), ms: z.number().int().min(1), times: z.number().int().min(1).optional() }))
      .default([]),
    /** The connection drops as the command is sent, and its effect lands `ms` later: a command
     * still running on the appliance when its session was lost. */
    applyLate: z
      .array(z.object({ match: z.string(), ms: z.number().int().min(1), times: z.number().int().min(1).optional() }))
      .default([]),
    /** The command runs, but what it prints (not its result line) is replaced by `with`: an
     * answer in a layout the probes cannot read. */
    garbleOutput: z
      .array(z.object({ match: z.string(), with: z.string(), times: z.number().int().min(1).optional() }))
      .default([]),
    /** The device prints `line` (a `Warning: ...` line; the default's words are guessed) before
     * the command's answer (before any question it asks), and still answers it in full. */
    warnBefore: z
      .array(
        z.object({
          match: z.string(),
          line: z.string().default('Warning: The HSM battery voltage is low. Replace the battery.'),
          times: z.number().int().min(1).optional(),
        }),
      )
      .default([]),
    /** Before running the command the device asks `question` (after a line `leadIn`, if given)
     * and waits for an answer: a question no operation answers. What is typed there is never
     * kept, only that something was typed (audit: `(typed at an unexpected question)`). */
    askFirst: z
      .array(
        z.object({
          match: z.string(),
          question: z.string(),
          leadIn: z.string().optional(),
          times: z.number().int().min(1).optional(),
        }),
      )
      .default([]),
    /** An scp upload of a file whose name starts with `match` is cut off after `afterBytes` of
     * its content: the connection drops and a short file is left, as scp writes as it receives. */
    interruptUpload: z
      .array(
        z.object({
          match: z.string().default(''),
          afterBytes: z.number().int().min(0),
          times: z.number().int().min(1).optional(),
        }),
      )
      .default([]),
    /** How the device ends its lines: `\r\r\n` is CRLF written through a PTY. */
    lineEnding: z.enum(['\r\n', '\r\r\n', '\n']).default('\r\n'),
    /** `sysconf appliance reboot` never comes back until `power-cycle`. */
    rebootHangs: z.boolean().default(false),
    /** How long a normal reboot takes. */
    rebootMs: z.number().int().min(0).default(2000),
    /** The device presents another host key than the one it was pinned with. */
    hostKeyChanged: z.boolean().default(false),
    /** Backup device only: the VPN path is down (connections refused). */
    unreachable: z.boolean().default(false),
    /** Backup device only: the workstation's connections to the appliances' NTLS port go
     * unanswered (a firewall on the path drops them). */
    ntlsBlocked: z.boolean().default(false),
  })
  .strict();

export type Faults = z.infer<typeof FaultsSchema>;

const NO_FAULTS = FaultsSchema.parse({});

export class FaultFile {
  /** The file as last parsed, by its inode, mtime and size: read before every command, it is
   * parsed again only when it changed (a write replaces it by a rename: a new inode). */
  private parsed: { version: string; faults: Faults } | undefined;

  constructor(readonly path: string) {}

  /** A copy: changing it changes nothing until written. */
  read(): Faults {
    let version: string;
    try {
      const stat = statSync(this.path, { bigint: true });
      version = `${stat.ino}:${stat.mtimeNs}:${stat.size}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return structuredClone(NO_FAULTS);
    }
    if (this.parsed?.version !== version)
      this.parsed = { version, faults: FaultsSchema.parse(JSON.parse(readFileSync(this.path, 'utf8'))) };
    return structuredClone(this.parsed.faults);
  }

  write(faults: z.input<typeof FaultsSchema>): void {
    this.replace(FaultsSchema.parse(faults));
  }

  /** By a rename: another process (an OpenSSH session's lunash) never reads half a file. */
  private replace(faults: Faults): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(faults, null, 2)}\n`);
    renameSync(tmp, this.path);
  }

  /** The first fault of `list` matching `command`, consuming one of its `times`. */
  take<
    K extends
      | 'commandErrors'
      | 'dropConnection'
      | 'holdReply'
      | 'applyLate'
      | 'garbleOutput'
      | 'interruptUpload'
      | 'warnBefore'
      | 'askFirst',
  >(list: K, command: string): Faults[K][number] | undefined {
    const faults = this.read();
    const entries = faults[list];
    const index = entries.findIndex((f) => command.toLowerCase().startsWith(f.match.toLowerCase()));
    if (index < 0) return undefined;
    const fault = entries[index];
    if (fault.times !== undefined) {
      if (fault.times <= 1) entries.splice(index, 1);
      else entries[index] = { ...fault, times: fault.times - 1 };
      this.replace(faults);
    }
    return fault;
  }
}
