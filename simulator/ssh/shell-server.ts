import { createServer, type Socket } from 'node:net';
import { Server, type Connection, type ServerChannel } from 'ssh2';
import { loadOrCreateHostKey } from '../host-key';
import { runExecSession, runShellSession, type ShellDefinition, type Terminal } from '../shell-session';
import { LineReader } from './line-reader';

export type { Interpreter } from '../shell-session';

export interface ShellServerOptions extends ShellDefinition {
  hostKeyFile: string;
  port?: number;
  authenticate(user: string, password: string): boolean;
  /** True while nothing answers on the port (rebooting, VPN down): connections are cut at once. */
  refuseConnections(): boolean;
  /** True to present another host key (`<hostKeyFile>.alt`): a replaced device or a man in the middle. */
  presentOtherHostKey?(): boolean;
  /** `ssh host <command>` that is not a shell command (an scp sink): handled here when it returns
   * true, else the shell runs the command. `cut` drops the connection. */
  execHandler?(command: string, user: string, channel: ServerChannel, cut: () => void): boolean;
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

/** An ssh2 channel as the session's terminal. The client's PTY request is accepted but nothing
 * interprets it: `LineReader` echoes and edits lines itself, and output is written as is. */
function channelTerminal(channel: ServerChannel, reader: LineReader | null, client: Connection): Terminal {
  return {
    write: (text) => channel.write(text),
    ask: reader
      ? (prompt, echo) => {
          channel.write(prompt);
          return reader.read(echo);
        }
      : undefined,
    end: () => channel.end(),
    drop: () => cut(client),
    get closed() {
      return channel.destroyed || !channel.writable;
    },
  };
}

/** A password-login SSH server offering one interactive shell, over real ssh2 (the device
 * simulators' common part). Sockets get TCP_NODELAY: without it each exchange waits ~40 ms. */
export async function startShellServer(options: ShellServerOptions): Promise<RunningShellServer> {
  const hostKey = loadOrCreateHostKey(options.hostKeyFile);
  const otherHostKey = () => loadOrCreateHostKey(`${options.hostKeyFile}.alt`);
  const connections = new Set<Connection>();
  const control: ServerControl = { disconnectAll: () => connections.forEach(cut) };

  async function runShell(channel: ServerChannel, user: string, client: Connection): Promise<void> {
    await runShellSession(channelTerminal(channel, new LineReader(channel), client), options, user, control);
  }

  async function runExec(channel: ServerChannel, user: string, command: string, client: Connection): Promise<void> {
    const status = await runExecSession(
      channelTerminal(channel, null, client),
      options,
      user,
      command,
      control,
      (text) => channel.stderr.write(text),
    );
    if (status === null) return;
    channel.exit(status);
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
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          if (!options.execHandler?.(info.command, user, channel, () => cut(client)))
            void runExec(channel, user, info.command, client);
        });
        // no SFTP subsystem: files come with scp, as on the appliance
        session.on('sftp', (_accept, reject) => reject?.());
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
