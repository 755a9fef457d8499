import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'ssh2';
import { loadOrCreateHostKey } from '../../simulator/host-key';
import { UnansweredPrompt } from '../../activities/device/errors';
import { LunaShell } from '../../activities/device/luna-shell';

// A reply goes only once the question is complete. This server asks for a password the way a
// reader that flushes pending input does (getpass): it prints the question, then discards
// whatever was typed so far, then prints lunash's `> ` and reads. A reply sent on the prefix
// `password:` is lost and the command hangs; a reply sent after `> ` is read.

const PASSWORD = 'the-right-password';
let server: Server;
let port: number;
let fingerprint: string;
const answersRead: string[] = [];

beforeAll(async () => {
  const hostKey = loadOrCreateHostKey(join(mkdtempSync(join(tmpdir(), 'prompt-')), 'host_key'));
  fingerprint = hostKey.fingerprint;
  server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
    client.on('authentication', (ctx) =>
      ctx.method === 'password' && ctx.password === PASSWORD ? ctx.accept() : ctx.reject(['password']),
    );
    client.on('session', (accept) => {
      const session = accept();
      session.on('pty', (ok) => ok?.());
      session.on('shell', (ok) => {
        const channel = ok();
        let pending = '';
        let flushing = false;
        channel.on('data', (d: Buffer) => {
          if (flushing) return; // discarded, as a tcflush before the read does
          pending += d.toString();
          if (!pending.includes('\r')) return;
          const line = pending.slice(0, pending.indexOf('\r'));
          pending = '';
          if (line === 'partition archive backup -slot 0 -partition b1') {
            // a question worded otherwise than any answer the command brings: it waits
            channel.write(`${line}\r\n\r\n  Enter the password for the backup partition: `);
          } else if (line === 'hsm login') {
            channel.write("hsm login\r\n\r\n  Please enter the HSM Administrators' password:\r\n");
            flushing = true;
            setTimeout(() => {
              flushing = false;
              channel.write('  > ');
            }, 300);
          } else {
            answersRead.push(line);
            channel.write(
              `\r\n\r\n${line === 'SO-password' ? "'hsm login' successful." : 'Error: wrong password'}\r\n\r\nCommand Result : 0 (Success)\r\n[test] lunash:>`,
            );
          }
        });
        channel.write('[test] lunash:>');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server?.close();
});

test('the password is sent after the prompt marker, not on the question alone, so a flushing reader gets it', async () => {
  const shell = await LunaShell.open({ host: '127.0.0.1', port, hostKeyFingerprint: fingerprint }, 'admin', {
    password: PASSWORD,
  });
  try {
    const out = await shell.run('hsm login', {
      answers: [{ prompt: /password:[\s>]*$/i, reply: 'SO-password' }],
      secrets: ['SO-password'],
    });
    expect(out.output).toContain("'hsm login'");
    expect(answersRead).toEqual(['SO-password']);
  } finally {
    shell.close();
  }
});

test('a question none of the answers fits is not answered: the command fails soon, naming it, and nothing is typed', async () => {
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port, hostKeyFingerprint: fingerprint },
    'admin',
    { password: PASSWORD },
    { unansweredQuestionMs: 300 },
  );
  try {
    const before = answersRead.length;
    const started = Date.now();
    const failed = await shell
      .run('partition archive backup -slot 0 -partition b1', {
        answers: [{ prompt: /\bSO\b[^\n]*: $/, reply: 'the-SO-password' }],
        timeoutMs: 60_000,
      })
      .catch((e: Error) => e);
    expect(failed).toBeInstanceOf(UnansweredPrompt);
    expect((failed as Error).message).toContain(
      'asked "Enter the password for the backup partition:", which the operation does not answer; nothing was typed',
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answersRead.length).toBe(before);
  } finally {
    shell.close();
  }
});
