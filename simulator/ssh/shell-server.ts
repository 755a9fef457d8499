import { createServer, type Socket } from 'node:net';
import { Server, type Connection, type ServerChannel, type SFTPWrapper } from 'ssh2';
import { loadOrCreateHostKey } from '../host-key';
import { CRLF } from '../lunash/output';
import type { ShellIo } from '../lunash/shell';
import { LineReader } from './line-reader';

/** What runs a line of the device's shell; false = the connection is gone. */
export interface Interpreter {
  run(line: string): Promise<boolean>;
}

export interface ShellServerOptions {
  hostKeyFile: string;
  port?: number;
  authenticate(user: string, password: string): boolean;
  /** True while nothing answers on the port (rebooting, VPN down): connections are cut at once. */
  refuseConnections(): boolean;
  /** True to present another host key (`<hostKeyFile>.alt`): a replaced device or a man in the middle. */
  presentOtherHostKey?(): boolean;
  banner(user: string): string;
  prompt(): string;
  /** Before the first prompt (e.g. a forced password change); false ends the session. */
  beforePrompt?(channel: ServerChannel, reader: LineReader, user: string): Promise<boolean>;
  /** For `ssh host command`; undefined = refuse exec with this message. */
  execRefusal?(user: string): string | undefined;
  interpreter(user: string, io: ShellIo, control: ServerControl): Interpreter;
  sftp?(sftp: SFTPWrapper, user: string): void;
}

export interface ServerControl {
  /** Cut every connection, as a reboot or a network failure does. */
  disconnectAll(): void;
}

export interface RunningShellServer {
  port: number;
  fingerprint: string;
  control: ServerControl;
  close(): Promise<void>;
}

function cut(client: Connection): void {
  (client as unknown as { _sock?: Socket })._sock?.destroy();
}

/** A password-login SSH server offering one interactive shell, over real ssh2 (the device
 * simulators' common part). Sockets get TCP_NODELAY: without it each exchange waits ~40 ms. */
export async function startShellServer(options: ShellServerOptions): Promise<RunningShellServer> {
  const hostKey = loadOrCreateHostKey(options.hostKeyFile);
  const otherHostKey = () => loadOrCreateHostKey(`${options.hostKeyFile}.alt`);
  const connections = new Set<Connection>();
  const control: ServerControl = { disconnectAll: () => connections.forEach(cut) };

  const io = (channel: ServerChannel, reader: LineReader | null, client: Connection): ShellIo => ({
    write: (text) => {
      if (channel.writable) channel.write(text); // the client may be gone (killed mid-command)
    },
    ask: async (prompt, opts) => {
      if (!reader) throw new Error('this command needs a terminal (ssh -t)');
      channel.write(prompt);
      return reader.read(opts?.echo !== false);
    },
    drop: () => cut(client),
  });

  async function runShell(channel: ServerChannel, user: string, client: Connection): Promise<void> {
    const reader = new LineReader(channel);
    channel.write(options.banner(user));
    if (options.beforePrompt && !(await options.beforePrompt(channel, reader, user).catch(() => false))) {
      channel.end();
      return;
    }
    const interpreter = options.interpreter(user, io(channel, reader, client), control);
    for (;;) {
      channel.write(options.prompt());
      let line: string;
      try {
        line = await reader.read();
      } catch {
        return;
      }
      if (['exit', 'logout', 'quit'].includes(line.trim().toLowerCase())) {
        channel.end();
        return;
      }
      const alive = await interpreter.run(line).catch((err: Error) => {
        if (err.message !== 'connection closed') channel.write(`Error: ${err.message}${CRLF}`);
        return !channel.destroyed;
      });
      if (!alive) return;
    }
  }

  async function runExec(channel: ServerChannel, user: string, command: string, client: Connection): Promise<void> {
    const refusal = options.execRefusal?.(user);
    if (refusal) {
      channel.stderr.write(`${refusal}${CRLF}`);
      channel.exit(1);
      channel.end();
      return;
    }
    const alive = await options
      .interpreter(user, io(channel, null, client), control)
      .run(command)
      .catch((err: Error) => {
        channel.write(`Error: ${err.message}${CRLF}`);
        return true;
      });
    if (!alive) return;
    channel.exit(0);
    channel.end();
  }

  const onClient = (client: Connection) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => {});
    let user = '';
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && options.authenticate(ctx.username, ctx.password)) {
        user = ctx.username;
        return ctx.accept();
      }
      return ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (acceptPty) => acceptPty?.());
        session.on('window-change', (acceptChange) => acceptChange?.());
        session.on('env', (acceptEnv) => acceptEnv?.());
        session.on('shell', (acceptShell) => void runShell(acceptShell(), user, client));
        session.on('exec', (acceptExec, _reject, info) => void runExec(acceptExec(), user, info.command, client));
        session.on('sftp', (acceptSftp, reject) => (options.sftp ? options.sftp(acceptSftp(), user) : reject?.()));
      });
    });
  };
  const ssh = new Server({ hostKeys: [hostKey.privateKey], ident: 'OpenSSH_8.0' }, onClient);
  let impostor: Server | undefined;

  const net = createServer((socket) => {
    socket.setNoDelay(true);
    if (options.refuseConnections()) {
      socket.destroy();
      return;
    }
    if (options.presentOtherHostKey?.()) {
      impostor ??= new Server({ hostKeys: [otherHostKey().privateKey], ident: 'OpenSSH_8.0' }, onClient);
      impostor.injectSocket(socket);
    } else {
      ssh.injectSocket(socket);
    }
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });

  return {
    port: (net.address() as { port: number }).port,
    fingerprint: hostKey.fingerprint,
    control,
    async close() {
      connections.forEach((c) => c.end());
      await new Promise<void>((resolve) => net.close(() => resolve()));
      ssh.close();
      impostor?.close();
    },
  };
}
