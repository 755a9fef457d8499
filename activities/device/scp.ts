import type { Client, ClientChannel } from 'ssh2';
import { DeviceConnectionLost, LunaCommandError } from './errors';

// The classic scp protocol, source side, over an SSH exec channel: how packages reach a Luna
// appliance ("Transfer the secure package update file to the Luna Network HSM 7 using pscp or
// scp": Thales, Luna HSM Firmware 7.7.1-20 notes). An appliance may offer no SFTP subsystem.
// `scp file admin@host:` runs `scp -t .` on the appliance; then, after each of our messages, the
// sink answers one status byte: 0 ok, 1 warning or 2 error, each of the last two followed by a
// message ending in "\n". We send `C0644 <size> <name>\n`, the bytes, then a 0 byte.
// Fetching is the same protocol the other way round: `scp admin@host:server.pem .` runs
// `scp -f server.pem` on the appliance, which sends the header and the bytes, and we answer the
// status bytes (Thales: "scp <user>@<appliance>:server.pem ." to fetch the NTLS certificate).

export const SCP_SINK_COMMAND = 'scp -t .';
const CHUNK = 32 * 1024;

/** Reads the sink's status replies off the channel. */
class StatusReader {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(stream: ClientChannel) {
    stream.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake?.();
    });
    stream.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** The next status: null for 0 (ok), else the sink's message. Rejects when the channel closes. */
  async next(): Promise<{ code: number; message: string } | null> {
    for (;;) {
      if (this.buffer.length > 0 && this.buffer[0] === 0) {
        this.buffer = this.buffer.subarray(1);
        return null;
      }
      const end = this.buffer.indexOf(0x0a);
      if (this.buffer.length > 0 && end > 0) {
        const reply = { code: this.buffer[0], message: this.buffer.subarray(1, end).toString('utf8').trim() };
        this.buffer = this.buffer.subarray(end + 1);
        return reply;
      }
      if (this.closed) throw new Error('the channel closed');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

/** Write, waiting for the channel's window when it is full; a channel that closes meanwhile
 * (the connection was cut) rejects instead of leaving the wait open. */
function write(stream: ClientChannel, chunk: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || !stream.writable) return reject(new Error('the channel closed'));
    if (stream.write(chunk)) return resolve();
    const done = (err?: Error) => {
      stream.off('drain', drained);
      stream.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const drained = () => done();
    const closed = () => done(new Error('the channel closed'));
    stream.once('drain', drained);
    stream.once('close', closed);
  });
}

/** Run `work` on `stream` within `timeoutMs`; on any failure the channel is destroyed. */
async function withinTimeout<T>(
  stream: ClientChannel,
  timeoutMs: number,
  onTimeout: () => Error,
  work: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), timeoutMs)));
  try {
    return await Promise.race([work(), timeout]);
  } catch (err) {
    stream.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Copy `data` as `name` into the login user's directory. A refusal by the appliance is a
 * LunaCommandError; a connection lost or silent on the way is DeviceConnectionLost (retried: the
 * retry's probe finds the file short or absent and sends it again whole). */
export async function scpUpload(
  client: Client,
  where: string,
  name: string,
  data: Buffer,
  timeoutMs: number,
): Promise<void> {
  if (/[\s/]/.test(name))
    throw new LunaCommandError(SCP_SINK_COMMAND, -1, `refusing to send a file named ${JSON.stringify(name)}`, []);
  const lost = (why: string) => new DeviceConnectionLost(where, `scp of ${name} (${why})`);
  const stream = await new Promise<ClientChannel>((resolve, reject) =>
    client.exec(SCP_SINK_COMMAND, (err, s) => (err ? reject(lost(err.message)) : resolve(s))),
  );
  const exit = new Promise<number | null>((resolve) => {
    stream.once('exit', (code: number | null) => resolve(code));
    stream.once('close', () => resolve(null));
  });
  stream.stderr.on('data', () => {}); // read, so a chatty sink cannot stall the channel
  const status = new StatusReader(stream);
  const expectOk = async (after: string) => {
    const reply = await status.next().catch((err: Error) => {
      throw lost(`${err.message} ${after}`);
    });
    if (reply)
      throw new LunaCommandError(
        SCP_SINK_COMMAND,
        reply.code,
        `the appliance refused the copy ${after}: ${reply.message}`,
        [reply.message],
      );
  };
  await withinTimeout(
    stream,
    timeoutMs,
    () => lost(`no answer in ${timeoutMs} ms`),
    async () => {
      const send = (chunk: Buffer | string, during: string) =>
        write(stream, chunk).catch((err: Error) => {
          throw lost(`${err.message} ${during}`);
        });
      await expectOk('before it started');
      await send(`C0644 ${data.length} ${name}\n`, 'at its header');
      await expectOk('at its header');
      for (let at = 0; at < data.length; at += CHUNK)
        await send(data.subarray(at, at + CHUNK), `after ${at} of its ${data.length} bytes`);
      await send(Buffer.from([0]), `after its ${data.length} bytes`);
      await expectOk(`after its ${data.length} bytes`);
      stream.end();
      const code = await exit;
      if (code !== 0 && code !== null)
        throw new LunaCommandError(SCP_SINK_COMMAND, code, `scp ended with status ${code}`, []);
    },
  );
}

const HEADER = /^C0[0-7]{3} (\d+) (\S+)$/;
/** Larger is not a certificate: refuse it rather than hold it in memory. */
const MAX_FETCH = 1024 * 1024;

/** Fetch `name` from the login user's directory. A refusal by the appliance (no such file) is a
 * LunaCommandError; a connection lost or silent on the way is DeviceConnectionLost. */
export async function scpDownload(client: Client, where: string, name: string, timeoutMs: number): Promise<Buffer> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name))
    throw new LunaCommandError(`scp -f ${name}`, -1, `refusing to fetch a file named ${JSON.stringify(name)}`, []);
  const command = `scp -f ${name}`;
  const lost = (why: string) => new DeviceConnectionLost(where, `scp of ${name} (${why})`);
  const stream = await new Promise<ClientChannel>((resolve, reject) =>
    client.exec(command, (err, s) => (err ? reject(lost(err.message)) : resolve(s))),
  );
  stream.stderr.on('data', () => {});
  let buffer = Buffer.alloc(0);
  let closed = false;
  let wake: (() => void) | null = null;
  stream.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    wake?.();
  });
  stream.on('close', () => {
    closed = true;
    wake?.();
  });
  const waitFor = async (enough: () => boolean, during: string) => {
    while (!enough()) {
      if (closed) throw lost(`the channel closed ${during}`);
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  };
  return withinTimeout(
    stream,
    timeoutMs,
    () => lost(`no answer in ${timeoutMs} ms`),
    async () => {
      await write(stream, Buffer.from([0])).catch((err: Error) => {
        throw lost(err.message);
      });
      await waitFor(() => buffer.indexOf(0x0a) >= 0, 'before the header');
      const end = buffer.indexOf(0x0a);
      const line = buffer.subarray(0, end).toString('utf8');
      buffer = buffer.subarray(end + 1);
      if (line.charCodeAt(0) === 1 || line.charCodeAt(0) === 2)
        throw new LunaCommandError(command, line.charCodeAt(0), `the appliance refused: ${line.slice(1).trim()}`, [
          line.slice(1).trim(),
        ]);
      const m = HEADER.exec(line);
      if (!m) throw lost(`the appliance sent ${JSON.stringify(line.slice(0, 40))}, not a file header`);
      const size = Number(m[1]);
      if (size > MAX_FETCH)
        throw new LunaCommandError(command, -1, `${name} is ${size} bytes: more than a certificate`, []);
      await write(stream, Buffer.from([0]));
      await waitFor(() => buffer.length >= size + 1, `after ${buffer.length} of its ${size} bytes`);
      const data = Buffer.from(buffer.subarray(0, size));
      if (buffer[size] !== 0) throw lost('no end-of-file byte');
      await write(stream, Buffer.from([0]));
      stream.end();
      return data;
    },
  );
}
