import { connect } from 'node:net';
import type { FaultFile } from './faults';
import { CRLF } from './lunash/output';
import type { ApplianceControl, ShellIo } from './lunash/shell';
import type { Interpreter } from './shell-session';

// The backup workstation as its SSH login finds it: an ordinary Linux shell (bash), from which
// LunaCM is started (`lunacm`, as the Cloudflare Keyless SSL captures do: `vm$ lunacm`). Only
// what the ceremonies type is understood: `unset`, `PS1='…'` (pexpect's pxssh sets a prompt this
// way), `echo` with `$?`, `timeout N bash -c '</dev/tcp/<host>/<port>'` (a TCP connection test,
// bash manual: REDIRECTION; timeout's status 124, GNU coreutils), `lunacm`; anything else is
// "command not found". LunaCM's `exit` goes back to the shell.

const TCP_TEST = /^timeout\s+(\d+)\s+bash\s+-c\s+'<\s*\/dev\/tcp\/([A-Za-z0-9.-]+)\/(\d+)'$/;

/** Split a command line at `;` outside quotes. */
function commands(line: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) quote = ch === quote ? null : quote;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}

/** bash's `PS1` escapes the ceremonies use: `\$` is `$` for a user that is not root. */
const expandPrompt = (ps1: string, user: string) => ps1.replace(/\\\$/g, user === 'root' ? '#' : '$');

/** Did a TCP connection to host:port open within `seconds`? A firewall that drops the packets
 * (fault `ntlsBlocked`) lets it time out. */
function tcpTest(
  host: string,
  port: number,
  seconds: number,
  blocked: boolean,
): Promise<{ status: number; said: string }> {
  return new Promise((resolve) => {
    if (blocked) return void setTimeout(() => resolve({ status: 124, said: '' }), seconds * 1000);
    const socket = connect({ host, port });
    const done = (result: { status: number; said: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(seconds * 1000, () => done({ status: 124, said: '' }));
    socket.once('connect', () => done({ status: 0, said: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'ECONNREFUSED'
          ? 'Connection refused'
          : err.code === 'EHOSTUNREACH'
            ? 'No route to host'
            : err.message;
      done({
        status: 1,
        said: `bash: connect: ${reason}${CRLF}bash: line 1: /dev/tcp/${host}/${port}: ${reason}${CRLF}`,
      });
    });
  });
}

export interface WorkstationOptions {
  user: string;
  hostName: string;
  io: ShellIo;
  faults: FaultFile;
  /** LunaCM, once started: its banner and slot list, then its commands. */
  lunacm: { banner(): string; shell(io: ShellIo, control: ApplianceControl): Interpreter };
  control: ApplianceControl;
}

/** One login session on the workstation: the shell, and LunaCM once started from it. */
export class WorkstationShell implements Interpreter {
  private ps1: string;
  private status = 0;
  private lunacm: Interpreter | null = null;

  constructor(private readonly o: WorkstationOptions) {
    this.ps1 = `[${o.user}@${o.hostName} ~]\\$ `; // RHEL's default PS1 is [\u@\h \W]\$
  }

  prompt(): string {
    return this.lunacm ? 'lunacm:>' : expandPrompt(this.ps1, this.o.user);
  }

  exit(): boolean {
    if (!this.lunacm) return true;
    this.lunacm = null; // LunaCM ends; the shell it was started from prompts again
    this.status = 0;
    return false;
  }

  async run(line: string): Promise<boolean> {
    if (this.lunacm) return this.lunacm.run(line);
    for (const command of commands(line)) {
      const write = (text: string) => this.o.io.write(text.replace(/\r\n/g, this.o.faults.read().lineEnding));
      const [word] = command.split(/\s+/);
      const tcp = TCP_TEST.exec(command);
      if (word === 'unset') this.status = 0;
      else if (/^PS1=/.test(command)) {
        this.ps1 = command
          .slice(4)
          .replace(/^'(.*)'$/s, '$1')
          .replace(/^"(.*)"$/s, '$1');
        this.status = 0;
      } else if (word === 'echo') {
        write(
          `${command
            .slice(4)
            .trim()
            .replace(/^"(.*)"$/s, '$1')
            .replace(/\$\?/g, String(this.status))}${CRLF}`,
        );
        this.status = 0;
      } else if (tcp) {
        const result = await tcpTest(tcp[2], Number(tcp[3]), Number(tcp[1]), this.o.faults.read().ntlsBlocked);
        write(result.said);
        this.status = result.status;
      } else if (word === 'lunacm' || word.endsWith('/lunacm')) {
        write(this.o.lunacm.banner());
        this.lunacm = this.o.lunacm.shell(this.o.io, this.o.control);
        return true; // the rest of the line would be typed at LunaCM's prompt: not ours to run
      } else {
        write(`bash: ${word}: command not found${CRLF}`);
        this.status = 127;
      }
    }
    return true;
  }
}
