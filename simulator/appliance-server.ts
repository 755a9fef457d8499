import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Server, utils as sshUtils, type Connection, type ServerChannel, type SFTPWrapper } from 'ssh2';
import { FaultFile } from './faults';
import { loadOrCreateHostKey } from './host-key';
import { LunashSession, type ShellIo } from './lunash/shell';
import { CRLF, PROMPT } from './lunash/output';
import { ApplianceStateSchema, freshApplianceState, StateFile, type ApplianceState } from './state';
import { existsSync } from 'node:fs';

export interface ApplianceOptions {
  name: string;
  /** Holds state.json, faults.json and host_key. */
  dir: string;
  port?: number;
  serial?: string;
  /** Use another host key file (to simulate a replaced appliance or a man in the middle). */
  hostKeyFile?: string;
}

export interface RunningAppliance {
  name: string;
  port: number;
  fingerprint: string;
  state: StateFile<ApplianceState>;
  faults: FaultFile;
  close(): Promise<void>;
}

/** Reads one line at a time from a PTY channel, echoing like a terminal (not for passwords). */
class LineReader {
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
        if (this.waiting?.echo !== false) this.channel.write(CRLF);
        else this.channel.write(CRLF);
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

function ensureState(store: StateFile<ApplianceState>, name: string, serial: string): void {
  if (!existsSync(store.path)) store.write(freshApplianceState(name, serial));
}

/** A simulated Luna Network HSM 7 appliance: lunash over real SSH, password login. */
export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const store = new StateFile(join(options.dir, 'state.json'), ApplianceStateSchema);
  ensureState(store, options.name, options.serial ?? String(1_200_000 + Math.floor(Math.random() * 99_999)));
  const faults = new FaultFile(join(options.dir, 'faults.json'));
  const hostKey = loadOrCreateHostKey(options.hostKeyFile ?? join(options.dir, 'host_key'));
  const connections = new Set<Connection>();

  const ssh = new Server({ hostKeys: [hostKey.privateKey], ident: 'OpenSSH_8.0' }, (client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => {});
    let user = '';
    client.on('authentication', (ctx) => {
      const account = store.read().users[ctx.username];
      if (ctx.method === 'password' && account?.enabled && ctx.password === account.password) {
        user = ctx.username;
        return ctx.accept();
      }
      return ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        let pty = false;
        session.on('pty', (acceptPty) => {
          pty = true;
          acceptPty?.();
        });
        session.on('window-change', (acceptChange) => acceptChange?.());
        session.on('env', (acceptEnv) => acceptEnv?.());
        session.on('shell', (acceptShell) => {
          const channel = acceptShell();
          void runShell(channel, user, pty, client);
        });
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          void runExec(channel, user, info.command, client);
        });
        session.on('sftp', (acceptSftp) => serveUploads(acceptSftp(), user));
      });
    });
  });

  const control = {
    disconnectAll() {
      for (const c of connections) (c as unknown as { _sock?: Socket })._sock?.destroy();
    },
  };

  /** The admin's upload area over SFTP (how update packages reach a real appliance). Only
   * whole-file writes are supported; the state keeps each file's size and sha256. */
  function serveUploads(sftp: SFTPWrapper, user: string): void {
    const { STATUS_CODE, OPEN_MODE } = sshUtils.sftp;
    const open = new Map<string, { name: string; chunks: Buffer[] }>();
    let next = 0;
    sftp.on('REALPATH', (id, path) => sftp.name(id, [{ filename: path === '.' ? '/home/admin' : path, longname: path, attrs: {} as never }]));
    sftp.on('OPEN', (id, filename, flags) => {
      const name = filename.split('/').pop() ?? '';
      if (!(flags & OPEN_MODE.WRITE) || store.read().users[user]?.role !== 'admin' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) {
        return sftp.status(id, STATUS_CODE.PERMISSION_DENIED);
      }
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(next++);
      open.set(handle.toString('hex'), { name, chunks: [] });
      sftp.handle(id, handle);
    });
    sftp.on('WRITE', (id, handle, _offset, data) => {
      const file = open.get(handle.toString('hex'));
      if (!file) return sftp.status(id, STATUS_CODE.FAILURE);
      file.chunks.push(Buffer.from(data));
      sftp.status(id, STATUS_CODE.OK);
    });
    sftp.on('CLOSE', (id, handle) => {
      const file = open.get(handle.toString('hex'));
      if (!file) return sftp.status(id, STATUS_CODE.FAILURE);
      open.delete(handle.toString('hex'));
      const content = Buffer.concat(file.chunks);
      store.update((s) => {
        s.files[file.name] = { size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
        s.audit.push({ at: new Date().toISOString(), user, command: `(sftp upload ${file.name}, ${content.length} bytes)`, result: 0 });
      });
      sftp.status(id, STATUS_CODE.OK);
    });
    for (const unsupported of ['READ', 'OPENDIR', 'READDIR', 'REMOVE', 'RENAME', 'MKDIR', 'RMDIR', 'SETSTAT', 'FSETSTAT', 'READLINK', 'SYMLINK'] as const) {
      sftp.on(unsupported as 'READ', (id: number) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
    }
    for (const stat of ['STAT', 'LSTAT', 'FSTAT'] as const) {
      sftp.on(stat as 'STAT', (id: number) => sftp.status(id, STATUS_CODE.NO_SUCH_FILE));
    }
  }

  function io(channel: ServerChannel, reader: LineReader | null, client: Connection): ShellIo {
    return {
      write: (text) => channel.write(text),
      ask: async (prompt, opts) => {
        if (!reader) throw new Error('this command needs a terminal (ssh -t)');
        channel.write(prompt);
        return reader.read(opts?.echo !== false);
      },
      drop: () => {
        // cut the TCP connection without closing the SSH channel: what a network failure looks like
        (client as unknown as { _sock?: Socket })._sock?.destroy();
      },
    };
  }

  async function firstLogin(channel: ServerChannel, reader: LineReader, user: string): Promise<boolean> {
    const account = store.read().users[user];
    if (!account?.mustChangePassword) return true;
    channel.write(`You are required to change your password immediately (administrator enforced)${CRLF}Changing password for ${user}.${CRLF}`);
    try {
      channel.write('Current password: ');
      const current = await reader.read(false);
      channel.write('New password: ');
      const next = await reader.read(false);
      channel.write('Retype new password: ');
      const again = await reader.read(false);
      const problem =
        current !== account.password ? 'Authentication token manipulation error' :
        next !== again ? 'Sorry, passwords do not match.' :
        next.length < 8 ? 'BAD PASSWORD: The password is shorter than 8 characters' :
        next === current ? 'BAD PASSWORD: The password is the same as the old one' : undefined;
      if (problem) {
        channel.write(`${problem}${CRLF}passwd: Authentication token manipulation error${CRLF}`);
        return false;
      }
      store.update((s) => {
        s.users[user].password = next;
        s.users[user].mustChangePassword = false;
        s.audit.push({ at: new Date().toISOString(), user, command: '(first login password change)', result: 0 });
      });
      channel.write(`passwd: all authentication tokens updated successfully.${CRLF}`);
      return true;
    } catch {
      return false;
    }
  }

  async function runShell(channel: ServerChannel, user: string, _pty: boolean, client: Connection): Promise<void> {
    const reader = new LineReader(channel);
    channel.write(`Last login: ${new Date().toUTCString()} from 127.0.0.1${CRLF}${CRLF}Luna Network HSM 7 Command Line Shell v${store.read().softwareVersion}. Copyright (c) 2023 Thales Group. All rights reserved.${CRLF}${CRLF}`);
    if (!(await firstLogin(channel, reader, user))) {
      channel.end();
      return;
    }
    const shell = new LunashSession(store, faults, user, io(channel, reader, client), control);
    for (;;) {
      channel.write(`[${store.read().name}] ${PROMPT}`);
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
      const alive = await shell.run(line).catch((err: Error) => {
        if (err.message !== 'connection closed') channel.write(`Error: ${err.message}${CRLF}`);
        return !channel.destroyed;
      });
      if (!alive) return;
    }
  }

  async function runExec(channel: ServerChannel, user: string, command: string, client: Connection): Promise<void> {
    if (store.read().users[user]?.mustChangePassword) {
      channel.stderr.write(`You are required to change your password: log in interactively first.${CRLF}`);
      channel.exit(1);
      channel.end();
      return;
    }
    const shell = new LunashSession(store, faults, user, io(channel, null, client), control);
    const alive = await shell.run(command).catch((err: Error) => {
      channel.write(`Error: ${err.message}${CRLF}`);
      return true;
    });
    if (!alive) return;
    channel.exit(0);
    channel.end();
  }

  const net: NetServer = createServer((socket) => {
    socket.setNoDelay(true);
    const reboot = store.read().reboot;
    if (reboot && (reboot.until === null || Date.parse(reboot.until) > Date.now())) {
      socket.destroy(); // rebooting (or hung): nothing answers on port 22
      return;
    }
    if (reboot) finishReboot(store);
    ssh.injectSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (net.address() as { port: number }).port;

  return {
    name: options.name,
    port,
    fingerprint: hostKey.fingerprint,
    state: store,
    faults,
    async close() {
      for (const c of connections) c.end();
      await new Promise<void>((resolve) => net.close(() => resolve()));
      ssh.close();
    },
  };
}

/** The reboot is over: apply a pending firmware update. */
export function finishReboot(store: StateFile<ApplianceState>): void {
  store.update((s) => {
    s.reboot = null;
    if (s.pendingUpdate) {
      s.firmware = s.pendingUpdate.firmware;
      s.pendingUpdate = null;
    }
  });
}
