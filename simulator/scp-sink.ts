import { createHash } from 'node:crypto';
import type { ServerChannel } from 'ssh2';
import { appendAudit } from './audit-log';
import type { FaultFile } from './faults';
import type { ApplianceState, StateFile } from './state';

// The appliance's side of `scp file admin@appliance:`: sshd runs `scp -t .` and this is it, the
// scp sink (the classic protocol: a status byte after each message, 0 ok, 2 error followed by a
// message line). It is how packages reach a Luna appliance ("Transfer the secure package update
// file ... using pscp or scp"); the simulated appliance offers no SFTP subsystem. Like scp, it
// writes the file as it receives it: a copy cut short leaves a short file, marked incomplete.

const SCP_SINK = /^scp(?:\s+-[a-zA-Z]+)*\s+-[a-zA-Z]*t[a-zA-Z]*(?:\s+--)?\s+(\S+)\s*$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HEADER = /^C0[0-7]{3} (\d+) (\S+)$/;

export interface ScpSinkOptions {
  user: string;
  store: StateFile<ApplianceState>;
  faults: FaultFile;
  /** Drop the connection without a word (the interrupted-upload fault). */
  cut(): void;
}

/** The target of an `scp -t <target>` command, or null when the command is something else. */
export function scpSinkTarget(command: string): string | null {
  return SCP_SINK.exec(command.trim())?.[1] ?? null;
}

/** Receive one file on `channel` (the exec channel of `scp -t <target>`). */
export function serveScpSink(channel: ServerChannel, target: string, o: ScpSinkOptions): void {
  let buffer = Buffer.alloc(0);
  let file: { name: string; size: number; received: Buffer[]; count: number; cutAt?: number } | null = null;
  let done = false;

  const finish = (status: number, message?: string) => {
    if (done) return;
    done = true;
    if (message) channel.write(Buffer.concat([Buffer.from([2]), Buffer.from(`scp: ${message}\n`)]));
    channel.exit(status);
    channel.end();
  };
  const store = (name: string, content: Buffer, complete: boolean) =>
    o.store.transaction((s) => {
      // a certificate's text is kept: `client register` reads the `<host>.pem` copied before it
      const text =
        name.endsWith('.pem') && complete && content.length <= 65_536 ? { content: content.toString('utf8') } : {};
      s.files[name] = {
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        complete,
        ...text,
      };
      appendAudit(s.audit, {
        at: new Date().toISOString(),
        user: o.user,
        command: `(scp -t ${target}: ${name}, ${content.length} bytes${complete ? '' : ', cut short'})`,
        result: complete ? 0 : -1,
      });
    });

  const onHeader = (line: string) => {
    const m = HEADER.exec(line);
    const name = m
      ? target === '.' || target === '~' || target.endsWith('/')
        ? m[2]
        : (target.split('/').pop() ?? '')
      : '';
    const account = o.store.read().users[o.user];
    if (account?.role !== 'admin') return finish(1, 'permission denied: only an admin may copy files to the appliance');
    if (account.mustChangePassword)
      return finish(1, 'you are required to change your password: log in interactively first');
    if (!m)
      return finish(
        1,
        `protocol error: expected a file ("C0644 <size> <name>"), got ${JSON.stringify(line.slice(0, 40))}`,
      );
    if (!FILE_NAME.test(name)) return finish(1, `${name}: invalid file name`);
    const cutAt = o.faults.take('interruptUpload', name)?.afterBytes;
    file = { name, size: Number(m[1]), received: [], count: 0, cutAt };
    channel.write(Buffer.from([0]));
  };

  const onContent = () => {
    const f = file!;
    const wanted = f.size + 1; // the content, then a 0 byte
    const take = buffer.subarray(0, wanted - f.count);
    buffer = buffer.subarray(take.length);
    f.received.push(take);
    f.count += take.length;
    if (f.cutAt !== undefined && f.count > f.cutAt) {
      done = true;
      void store(f.name, Buffer.concat(f.received).subarray(0, f.cutAt), false).finally(() => o.cut());
      return;
    }
    if (f.count < wanted) return;
    const content = Buffer.concat(f.received);
    if (content[f.size] !== 0) return finish(1, 'protocol error: no end of file byte');
    void store(f.name, content.subarray(0, f.size), true).then(
      () => channel.write(Buffer.from([0])),
      () => finish(1, `${f.name}: could not be written`),
    );
    file = null;
  };

  channel.on('data', (d: Buffer) => {
    if (done) return;
    buffer = Buffer.concat([buffer, d]);
    while (!done && buffer.length > 0) {
      if (file) {
        onContent();
        continue;
      }
      const end = buffer.indexOf(0x0a);
      if (end < 0) return;
      const line = buffer.subarray(0, end).toString('utf8');
      buffer = buffer.subarray(end + 1);
      onHeader(line);
    }
  });
  // the source closes its side when it has sent everything
  channel.on('end', () => finish(0));
  channel.on('close', () => {
    const f = file;
    if (f && !done && f.count < f.size + 1)
      void store(f.name, Buffer.concat(f.received).subarray(0, Math.min(f.count, f.size)), false);
    done = true;
  });
  channel.write(Buffer.from([0])); // ready
}

const SCP_SOURCE = /^scp(?:\s+-[a-zA-Z]+)*\s+-[a-zA-Z]*f[a-zA-Z]*(?:\s+--)?\s+(\S+)\s*$/;

/** The file of an `scp -f <file>` command (a client fetching it), or null. */
export function scpSourceFile(command: string): string | null {
  return SCP_SOURCE.exec(command.trim())?.[1] ?? null;
}

/** Send one file on `channel` (the exec channel of `scp -f <file>`): the appliance serves only
 * its NTLS certificate, `server.pem` (what a client fetches to trust it). */
export function serveScpSource(
  channel: ServerChannel,
  file: string,
  o: { user: string; store: StateFile<ApplianceState>; read(name: string): Promise<Buffer | undefined> },
): void {
  let step: 'start' | 'header' | 'data' | 'done' = 'start';
  let data: Buffer | undefined;
  const fail = (message: string) => {
    step = 'done';
    channel.write(Buffer.concat([Buffer.from([1]), Buffer.from(`scp: ${message}\n`)]));
    channel.exit(1);
    channel.end();
  };
  channel.on('data', (d: Buffer) => {
    for (const byte of d) {
      if (byte !== 0) return fail('protocol error');
      if (step === 'start') {
        step = 'header';
        const name = file.split('/').pop() ?? '';
        void o.read(name).then(
          (content) => {
            if (!content) return fail(`${file}: No such file or directory`);
            data = content;
            channel.write(`C0644 ${content.length} ${name}\n`);
          },
          () => fail(`${file}: could not be read`),
        );
      } else if (step === 'header' && data) {
        step = 'data';
        channel.write(Buffer.concat([data, Buffer.from([0])]));
        void o.store.transaction((s) =>
          appendAudit(s.audit, {
            at: new Date().toISOString(),
            user: o.user,
            command: `(scp -f ${file}, ${data!.length} bytes)`,
            result: 0,
          }),
        );
      } else if (step === 'data') {
        step = 'done';
        channel.exit(0);
        channel.end();
      }
    }
  });
}
