#!/usr/bin/env node
// The simulated appliance's lunash as a login program: `node pty-main.js <appliance dir>` runs one
// session on its stdin/stdout for the logged-in user. OpenSSH's sshd runs it as the ForceCommand of
// the appliance's accounts (`test/support/openssh.ts`), so the SSH server, the authentication and
// the terminal are real: sshd's, and the kernel's PTY.
//
// The terminal's line discipline is the kernel's: it echoes what is typed, edits the line
// (backspace, ^U), turns the Enter key's CR into LF (ICRNL) and every LF written into CRLF
// (ONLCR). So this program writes LF line ends and reads whole lines, and turns the echo off
// (stty -echo) only around password prompts, before the prompt goes out. The session itself
// (banner, prompt, commands, state) is the ssh2 simulator's: `appliance-shell.ts`.
//
// What differs from the ssh2 simulator: sshd checks the OS account's password, not the one in
// state.json (keep them equal); the forced first-login password change would change only
// state.json; faults that act on the connection (`dropConnection`, a reboot) end this process
// (sshd then closes the channel) and cannot cut other sessions; `hostKeyChanged`, scp uploads
// and `ssh host command` are the ssh2 simulator's only (here a session without a terminal is
// refused).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { applianceFaults, applianceRebooting, applianceShell, applianceStore } from '../appliance-shell';
import { runShellSession, type Terminal } from '../shell-session';
import type { ApplianceControl } from './shell';

/** The session's terminal: stdin/stdout, the PTY sshd allocated. */
class ProcessTerminal implements Terminal {
  closed = false;
  private pending = '';
  private readonly lines: string[] = [];
  private waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | null = null;

  constructor(
    input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {
    output.on('error', () => this.hangup()); // EIO once sshd has closed the PTY
    input.setEncoding('utf8');
    input.on('data', (text: string) => this.push(text));
    for (const event of ['end', 'close', 'error'] as const) input.on(event, () => this.hangup());
  }

  /** Lines written with CRLF (as the ssh2 simulator sends them) go out with LF: a PTY's ONLCR
   * adds the CR, as for any program on a terminal. */
  write(text: string): void {
    if (!this.closed) this.output.write(text.replace(/\r\n/g, '\n'));
  }

  end(): void {
    this.closed = true;
    process.exit(0);
  }

  /** A cut connection: end at once, without a word; sshd closes the channel. */
  drop(): void {
    this.closed = true;
    process.exit(255);
  }

  /** SIGINT (^C, the PTY's ISIG): the ssh2 simulator's LineReader hands ^C over as a line. */
  interrupt(): void {
    this.pending = '';
    this.deliver('\u0003');
  }

  hangup(): void {
    if (this.closed) return;
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(new Error('connection closed'));
  }

  async ask(prompt: string, echo: boolean): Promise<string> {
    if (!echo) this.setEcho(false); // before the prompt: an answer typed at once must not echo
    try {
      this.write(prompt);
      return await this.readLine();
    } finally {
      if (!echo) {
        this.setEcho(true);
        this.write('\n'); // the Enter key was not echoed either (as getpass does)
      }
    }
  }

  private setEcho(on: boolean): void {
    if (this.closed) return;
    spawnSync('stty', [on ? 'echo' : '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }

  private push(text: string): void {
    this.pending += text;
    for (let end = this.pending.indexOf('\n'); end >= 0; end = this.pending.indexOf('\n')) {
      const line = this.pending.slice(0, end).replace(/\r$/, '');
      this.pending = this.pending.slice(end + 1);
      this.deliver(line);
    }
  }

  private deliver(line: string): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting.resolve(line);
    else this.lines.push(line);
  }

  private readLine(): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

async function main(): Promise<number> {
  const [dirArg] = process.argv.slice(2);
  if (!dirArg) {
    process.stderr.write('usage: pty-main.js <appliance dir>\n');
    return 2;
  }
  const dir = resolve(dirArg);
  const store = applianceStore(dir);
  if (!existsSync(store.path)) {
    process.stderr.write(`lunash: no appliance state at ${store.path}\n`);
    return 1;
  }
  const user = userInfo().username; // the account sshd logged in
  if (!store.read().users[user]?.enabled) {
    process.stderr.write(`lunash: ${user} is not an account of this appliance\n`);
    return 1;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(
      "lunash: this simulator needs a terminal (ssh -t; `ssh host command` is the ssh2 simulator's only)\n",
    );
    return 1;
  }
  if (applianceRebooting(store)) return 255; // the ssh2 simulator refuses the connection

  const terminal = new ProcessTerminal(process.stdin, process.stdout);
  process.on('SIGINT', () => terminal.interrupt());
  process.on('SIGHUP', () => terminal.hangup());
  // a reboot ends every session on a real appliance; here, only this one (the others' processes
  // find the connection refused only when they next log in)
  const control: ApplianceControl = { disconnectAll: () => terminal.drop() };
  await runShellSession(terminal, applianceShell(store, applianceFaults(dir)), user, control);
  return 0;
}

main().then(
  (status) => process.exit(status),
  (err: Error) => {
    process.stderr.write(`lunash: ${err.message}\n`);
    process.exit(1);
  },
);
