import { appendAudit, type AuditEntry } from '../audit-log';
import type { FaultFile, Faults } from '../faults';
import type { StateFile } from '../state';
import { CRLF } from './output';

/** A device shell's words: its commands and how it prints results and errors. lunash on the
 * appliance and LunaCM on the backup workstation differ only here. */
export interface ShellDialect<T> {
  commands: CommandSpec<T>[];
  success: string;
  /** The result line after a failure; `error` is absent for usage errors. */
  failure(error?: { code: string; name: string }): string;
  errorLine(command: string, code: string, name: string): string;
  role(state: T, user: string): string | undefined;
}

export interface AuditedState {
  audit: AuditEntry[];
}

export interface CommandSpec<T> {
  words: string[];
  options?: Record<string, 'value' | 'flag'>;
  required?: string[];
  positional?: number;
  adminOnly?: boolean;
  /** Only users with one of these roles may run it (the audit user's `audit` commands). */
  roles?: string[];
  run(c: CommandContext<T>): Promise<string>;
}

/** How a command talks to the person (or program) at the terminal. */
export interface ShellIo {
  write(text: string): void;
  /** Show `prompt` and read one line; `echo: false` for passwords. */
  ask(prompt: string, options?: { echo?: boolean }): Promise<string>;
  /** Cut the connection without a word (fault injection). */
  drop(): void;
}

/** The terminal of a command that goes on after its session was lost: nobody reads or answers. */
const silentIo: ShellIo = {
  write() {},
  ask: async () => '',
  drop() {},
};

/** A lunash failure: printed as `Error: '<command>' failed. (<code> : <name>)`, then result 65535. */
export class LunaError extends Error {
  constructor(
    readonly code: string,
    readonly rcName: string,
    readonly detail?: string,
    /** What the command printed before it failed (LunaCM's per-object lines of a backup). */
    readonly before?: string,
  ) {
    super(`${code} : ${rcName}`);
  }
}

/** A syntax or usage problem, reported before anything runs. */
export class UsageError extends Error {}

/** What a login session remembers between commands: lunash's HSM login; LunaCM's current slot
 * and the role logged in to it. */
export interface SessionState {
  hsmLoggedIn: boolean;
  /** lunash's `audit login` (the HSM Auditor), in the audit user's session. */
  auditLoggedIn?: boolean;
  slot?: number;
  role?: { slot: number; name: string };
}

export interface CommandContext<T> {
  state: T;
  user: string;
  session: SessionState;
  options: Record<string, string | true>;
  positional: string[];
  io: ShellIo;
  faults: Faults;
  /** Destructive commands show `prompt` (ending `> `) unless `-force` was given; false means the
   * user typed something other than proceed. */
  confirm(prompt: string): Promise<boolean>;
  /** Run after the command's output is written (e.g. a reboot closes every connection). */
  afterOutput(fn: () => void): void;
  /** End every SSH connection to the appliance. */
  disconnect(): void;
}

/** What a session may do to the appliance as a whole. */
export interface ApplianceControl {
  disconnectAll(): void;
}

const FORBIDDEN = /[;|&$`<>(){}\\\n\r*?!]/;

export function tokenize(line: string): string[] {
  if (FORBIDDEN.test(line)) throw new UsageError('Invalid character in command. Shell metacharacters are not allowed.');
  const tokens: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) tokens.push(m[1] ?? m[2]);
  return tokens;
}

/** Find the command: each word may be abbreviated to a unique prefix, as lunash allows. */
export function resolveCommand<T>(
  commands: CommandSpec<T>[],
  tokens: string[],
): { spec: CommandSpec<T>; rest: string[] } {
  let candidates = commands;
  let depth = 0;
  for (; depth < tokens.length && !tokens[depth].startsWith('-'); depth++) {
    const word = tokens[depth].toLowerCase();
    const next = candidates.filter((c) => c.words.length > depth && c.words[depth].toLowerCase().startsWith(word));
    const exact = next.filter((c) => c.words[depth].toLowerCase() === word);
    const narrowed = exact.length > 0 ? exact : next;
    if (narrowed.length === 0) {
      if (candidates.some((c) => c.words.length === depth) && depth > 0) break; // positional argument
      throw new UsageError(`Unknown command: ${tokens.slice(0, depth + 1).join(' ')}`);
    }
    const words = new Set(narrowed.map((c) => c.words[depth].toLowerCase()));
    if (words.size > 1)
      throw new UsageError(`Ambiguous command: ${tokens.slice(0, depth + 1).join(' ')} (${[...words].join(', ')})`);
    candidates = narrowed;
  }
  const spec = candidates.find((c) => c.words.length === depth);
  if (!spec)
    throw new UsageError(
      `Incomplete command: ${tokens.slice(0, depth).join(' ')}; try one of: ${candidates.map((c) => c.words.join(' ')).join(', ')}`,
    );
  return { spec, rest: tokens.slice(depth) };
}

export function parseOptions<T>(
  spec: CommandSpec<T>,
  rest: string[],
): { options: Record<string, string | true>; positional: string[] } {
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i];
    if (!token.startsWith('-')) {
      positional.push(token);
      continue;
    }
    // options may be abbreviated to a unique prefix (-p for -partition), as lunash allows
    const wanted = token.slice(1).toLowerCase();
    const names = Object.keys(spec.options ?? {});
    const exact = names.find((o) => o.toLowerCase() === wanted);
    const prefixed = names.filter((o) => o.toLowerCase().startsWith(wanted));
    const name = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined);
    if (!name) throw new UsageError(prefixed.length > 1 ? `Ambiguous option: ${token}` : `Unknown option: ${token}`);
    const kind = spec.options![name];
    if (kind === 'flag') options[name] = true;
    else {
      const value = rest[++i];
      if (value === undefined || value.startsWith('-')) throw new UsageError(`Option ${token} requires a value`);
      options[name] = value;
    }
  }
  for (const required of spec.required ?? []) {
    if (options[required] === undefined) throw new UsageError(`Missing required option: -${required}`);
  }
  if ((spec.positional ?? 0) < positional.length)
    throw new UsageError(`Unexpected argument: ${positional[spec.positional ?? 0]}`);
  return { options, positional };
}

/** One login session of a device shell: runs command lines against the device's state file. */
export class CommandShell<T extends AuditedState> {
  readonly session: SessionState = { hsmLoggedIn: false };

  constructor(
    private readonly store: StateFile<T>,
    private readonly faults: FaultFile,
    readonly user: string,
    private readonly io: ShellIo,
    readonly appliance: ApplianceControl,
    private readonly dialect: ShellDialect<T>,
  ) {}

  /** Run one line; returns false when the connection was dropped by a fault. */
  async run(line: string): Promise<boolean> {
    const trimmed = line.trim();
    if (trimmed === '') return true;
    const faults = this.faults.read();
    const write = (text: string) => this.io.write(text.replace(/\r\n/g, faults.lineEnding));
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));

    let tokens: string[];
    let resolved: ReturnType<typeof resolveCommand<T>>;
    let parsed: ReturnType<typeof parseOptions<T>>;
    try {
      tokens = tokenize(trimmed);
      resolved = resolveCommand(this.dialect.commands, tokens);
      parsed = parseOptions(resolved.spec, resolved.rest);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      await this.audit(trimmed, 65535);
      write(`${err.message}${CRLF}${CRLF}${this.dialect.failure()}${CRLF}`);
      return true;
    }
    const name = resolved.spec.words.join(' ');
    const warning = this.faults.take('warnBefore', name);
    if (warning) write(`${warning.line}${CRLF}`);
    const drop = this.faults.take('dropConnection', name);
    if (drop && !drop.applied) {
      await this.audit(trimmed, -1);
      this.io.drop();
      return false;
    }
    const injected = this.faults.take('commandErrors', name);
    if (injected) {
      await this.audit(trimmed, 65535);
      write(
        `${this.dialect.errorLine(name, injected.code, injected.name)}${CRLF}${CRLF}${this.dialect.failure(injected)}${CRLF}`,
      );
      return true;
    }
    if (this.isBlocked(resolved.spec)) {
      write(
        `Error: this command requires the ${resolved.spec.roles?.join(' or ') ?? 'admin'} role.${CRLF}${CRLF}${this.dialect.failure()}${CRLF}`,
      );
      return true;
    }

    const unexpected = this.faults.take('askFirst', name);
    if (unexpected) {
      const typed = await this.io.ask(
        `${unexpected.leadIn ? `${CRLF}  ${unexpected.leadIn}${CRLF}${CRLF}` : CRLF}  ${unexpected.question}`,
        { echo: false },
      );
      // the command does not run: whatever the answer, nothing an operation meant was asked
      await this.audit(
        typed === '' ? '(nothing typed at an unexpected question)' : '(typed at an unexpected question)',
        65535,
      );
      write(`${CRLF}${this.dialect.failure()}${CRLF}`);
      return true;
    }
    const late = this.faults.take('applyLate', name);
    if (late) {
      // the session is lost at once; the command goes on without anyone at the terminal
      this.io.drop();
      setTimeout(
        () => void this.execute(resolved.spec, parsed, trimmed, name, faults, silentIo).catch(() => {}),
        late.ms,
      );
      return false;
    }
    const after: (() => void)[] = [];
    const { output, code, failure } = await this.execute(resolved.spec, parsed, trimmed, name, faults, this.io, after);
    const hold = this.faults.take('holdReply', name);
    if (hold) await new Promise((r) => setTimeout(r, hold.ms));
    if (drop?.applied) {
      this.io.drop();
      return false;
    }
    const result = code === 0 ? this.dialect.success : this.dialect.failure(failure);
    const printed = this.faults.take('garbleOutput', name)?.with ?? output;
    write(`${printed ? `${printed}${CRLF}` : ''}${CRLF}${result}${CRLF}`);
    for (const fn of after) fn();
    return after.length === 0;
  }

  /** Run a command's effect on the state, as one transaction, and audit it. */
  private execute(
    spec: CommandSpec<T>,
    parsed: ReturnType<typeof parseOptions<T>>,
    typed: string,
    name: string,
    faults: Faults,
    io: ShellIo,
    after: (() => void)[] = [],
  ) {
    return this.store.transaction(async (state) => {
      const context: CommandContext<T> = {
        state,
        user: this.user,
        session: this.session,
        options: parsed.options,
        positional: parsed.positional,
        io,
        faults,
        afterOutput: (fn) => after.push(fn),
        disconnect: () => this.appliance.disconnectAll(),
        confirm: async (prompt) => {
          if (parsed.options.force === true || io === silentIo) return true;
          const answer = await io.ask(prompt);
          return answer.trim().toLowerCase() === 'proceed';
        },
      };
      try {
        const text = await spec.run(context);
        appendAudit(state.audit, this.auditEntry(typed, 0));
        return { output: text, code: 0, failure: undefined };
      } catch (err) {
        if (!(err instanceof LunaError)) throw err;
        appendAudit(state.audit, this.auditEntry(typed, 65535));
        const text = [
          ...(err.before ? [err.before] : []),
          this.dialect.errorLine(name, err.code, err.rcName),
          ...(err.detail ? ['', `Error:  ${err.detail}`] : []),
        ].join(CRLF);
        return { output: text, code: 65535, failure: { code: err.code, name: err.rcName } };
      }
    });
  }

  private isBlocked(spec: CommandSpec<T>): boolean {
    const role = this.dialect.role(this.store.read(), this.user);
    if (spec.roles) return !spec.roles.includes(role ?? '');
    return Boolean(spec.adminOnly) && role !== 'admin';
  }

  // never record what was typed at a password prompt: those are read by `ask`, not here
  private auditEntry(command: string, result: number): AuditedState['audit'][number] {
    return { at: new Date().toISOString(), user: this.user, command, result };
  }

  private async audit(command: string, result: number): Promise<void> {
    await this.store.transaction((s) => appendAudit(s.audit, this.auditEntry(command, result)));
  }
}
