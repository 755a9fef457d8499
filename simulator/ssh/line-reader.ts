import type { ServerChannel } from 'ssh2';
import { CRLF } from '../lunash/output';

/** Reads one line at a time from a PTY channel, echoing like a terminal (not for passwords). */
export class LineReader {
  private buffer = '';
  private waiting: { resolve: (line: string) => void; reject: (err: Error) => void; echo: boolean } | null = null;
  private closed = false;

  constructor(private readonly channel: ServerChannel) {
    channel.on('data', (data: Buffer) => this.push(data.toString('utf8')));
    channel.on('close', () => this.fail());
    channel.on('end', () => this.fail());
  }

  private push(text: string): void {
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        if (ch === '\n' && this.lastWasCr) {
          this.lastWasCr = false;
          continue;
        }
        this.lastWasCr = ch === '\r';
        const line = this.buffer;
        this.buffer = '';
        this.channel.write(CRLF);
        this.deliver(line);
      } else if (ch === '\u007f' || ch === '\b') {
        this.lastWasCr = false;
        if (this.buffer.length > 0) {
          this.buffer = this.buffer.slice(0, -1);
          if (this.waiting?.echo !== false) this.channel.write('\b \b');
        }
      } else if (ch === '\u0003') {
        this.buffer = '';
        this.deliver('\u0003');
      } else {
        this.lastWasCr = false;
        this.buffer += ch;
        if (this.waiting?.echo !== false) this.channel.write(ch);
      }
    }
  }

  private lastWasCr = false;
  private lines: string[] = [];

  private deliver(line: string): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(line);
    } else this.lines.push(line);
  }

  private fail(): void {
    this.closed = true;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(new Error('connection closed'));
    }
  }

  read(echo = true): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, echo };
    });
  }
}
