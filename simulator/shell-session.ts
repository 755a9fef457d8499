import { CRLF } from './lunash/output';
import type { ApplianceControl, ShellIo } from './lunash/shell';

// One login session of a device shell, whatever carries it: an ssh2 channel (our SSH simulator,
// `ssh/shell-server.ts`) or a real terminal (a PTY that OpenSSH's sshd gives a ForceCommand,
// `lunash/pty-main.ts`). The banner, the prompt loop, `exit` and errors are the same for both.

/** What runs a line of the device's shell; false = the connection is gone. */
export interface Interpreter {
  run(line: string): Promise<boolean>;
  /** The prompt this session shows now, when it is its own (a workstation's shell, or LunaCM
   * started from it); else the definition's. */
  prompt?(): string;
  /** `exit` was typed: true ends the session, false when the interpreter took it (LunaCM's
   * `exit` goes back to the shell that started it). */
  exit?(): boolean;
}

/** The session's side of a terminal. Text is written with CRLF line ends, as it reaches the
 * client; a PTY transport writes LF and lets the kernel's line discipline add the CR. */
export interface Terminal {
  write(text: string): void;
  /** Show `prompt`, then read one line (without its end); `echo: false` for passwords (a PTY
   * turns its echo off before the prompt goes out, so an answer typed at once is not echoed).
   * Rejects with "connection closed" once the client is gone. Absent for `ssh host command`
   * (no terminal). */
  ask?(prompt: string, echo: boolean): Promise<string>;
  /** End the session normally. */
  end(): void;
  /** Cut the connection without a word (fault injection). */
  drop(): void;
  /** True once the client is gone. */
  readonly closed: boolean;
}

/** A device shell: how a session starts, what it prints and what interprets its lines. */
export interface ShellDefinition {
  banner(user: string): string;
  prompt(): string;
  /** Before the first prompt (e.g. a forced password change); false ends the session. */
  beforePrompt?(terminal: Terminal, user: string): Promise<boolean>;
  /** For `ssh host command`; undefined = allowed, else refused with this message. */
  execRefusal?(user: string): string | undefined;
  interpreter(user: string, io: ShellIo, control: ApplianceControl): Interpreter;
}

export function shellIo(terminal: Terminal): ShellIo {
  return {
    write: (text) => {
      if (!terminal.closed) terminal.write(text); // the client may be gone (killed mid-command)
    },
    ask: async (prompt, opts) => {
      if (!terminal.ask) throw new Error('this command needs a terminal (ssh -t)');
      return terminal.ask(prompt, opts?.echo !== false);
    },
    drop: () => terminal.drop(),
  };
}

/** The interactive shell: banner, then prompt / line / command until `exit` or the client goes. */
export async function runShellSession(
  terminal: Terminal,
  definition: ShellDefinition,
  user: string,
  control: ApplianceControl,
): Promise<void> {
  const ask = terminal.ask?.bind(terminal);
  if (!ask) throw new Error('an interactive session needs a terminal that reads');
  terminal.write(definition.banner(user));
  if (definition.beforePrompt && !(await definition.beforePrompt(terminal, user).catch(() => false))) {
    terminal.end();
    return;
  }
  const interpreter = definition.interpreter(user, shellIo(terminal), control);
  for (;;) {
    let line: string;
    try {
      line = await ask(interpreter.prompt?.() ?? definition.prompt(), true);
    } catch {
      return;
    }
    if (['exit', 'logout', 'quit'].includes(line.trim().toLowerCase())) {
      if (!(interpreter.exit?.() ?? true)) continue;
      terminal.end();
      return;
    }
    const alive = await interpreter.run(line).catch((err: Error) => {
      if (err.message !== 'connection closed') terminal.write(`Error: ${err.message}${CRLF}`);
      return !terminal.closed;
    });
    if (!alive) return;
  }
}

/** `ssh host command`: one command, no terminal. Returns the exit status, or null when the
 * connection was dropped (no status). `stderr` gets a refusal. */
export async function runExecSession(
  terminal: Terminal,
  definition: ShellDefinition,
  user: string,
  command: string,
  control: ApplianceControl,
  stderr: (text: string) => void,
): Promise<number | null> {
  const refusal = definition.execRefusal?.(user);
  if (refusal) {
    stderr(`${refusal}${CRLF}`);
    return 1;
  }
  const alive = await definition
    .interpreter(user, shellIo(terminal), control)
    .run(command)
    .catch((err: Error) => {
      terminal.write(`Error: ${err.message}${CRLF}`);
      return true;
    });
  return alive ? 0 : null;
}
