import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { utils as sshUtils, type SFTPWrapper } from 'ssh2';
import { applianceFaults, applianceRebooting, applianceShell, applianceStore } from './appliance-shell';
import type { FaultFile } from './faults';
import { startShellServer } from './ssh/shell-server';
import { freshApplianceState, type StateFile, type ApplianceState } from './state';

export { applianceStore, finishReboot } from './appliance-shell';

export interface ApplianceOptions {
  name: string;
  /** Holds state.json, faults.json and host_key. */
  dir: string;
  port?: number;
  serial?: string;
  /** Use another host key file (to simulate a replaced appliance or a man in the middle). */
  hostKeyFile?: string;
  /** The NTLS port (default: any free one). */
  ntlsPort?: number;
}

export interface RunningAppliance {
  name: string;
  port: number;
  /** Where its NTLS service (port 1792 on a real appliance) accepts connections. */
  ntlsPort: number;
  fingerprint: string;
  state: StateFile<ApplianceState>;
  faults: FaultFile;
  close(): Promise<void>;
}

/** The appliance's NTLS server certificate (server.pem), made at first use and kept. */
async function serverCertificate(store: StateFile<ApplianceState>): Promise<Buffer> {
  const existing = store.read().serverCertificate;
  if (existing) return Buffer.from(existing);
  const { name } = store.read();
  const pems = await selfsigned.generate([{ name: 'commonName', value: name }], { days: 3650, keySize: 2048 } as never);
  return Buffer.from(store.update((s) => (s.serverCertificate ??= pems.cert)));
}

/** The admin's upload area over SFTP (how update packages reach a real appliance). Only
 * whole-file writes are supported; the state keeps each file's size and sha256 (and a `.pem`'s
 * text, which `client register` reads). Reading: `server.pem` only (what a client fetches). */
function serveUploads(store: StateFile<ApplianceState>, sftp: SFTPWrapper, user: string): void {
  const { STATUS_CODE, OPEN_MODE } = sshUtils.sftp;
  const open = new Map<string, { name: string; chunks: Buffer[] }>();
  const reading = new Map<string, Buffer>();
  let next = 0;
  const newHandle = () => {
    const handle = Buffer.alloc(4);
    handle.writeUInt32BE(next++);
    return handle;
  };
  sftp.on('REALPATH', (id, path) => sftp.name(id, [{ filename: path === '.' ? '/home/admin' : path, longname: path, attrs: {} as never }]));
  sftp.on('OPEN', (id, filename, flags) => {
    const name = filename.split('/').pop() ?? '';
    if (flags & OPEN_MODE.READ && !(flags & OPEN_MODE.WRITE)) {
      if (name !== 'server.pem') return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
      void serverCertificate(store).then(
        (data) => {
          const handle = newHandle();
          reading.set(handle.toString('hex'), data);
          void store.transaction((s) => void s.audit.push({ at: new Date().toISOString(), user, command: `(scp fetch ${name})`, result: 0 }));
          sftp.handle(id, handle);
        },
        () => sftp.status(id, STATUS_CODE.FAILURE),
      );
      return;
    }
    if (!(flags & OPEN_MODE.WRITE) || store.read().users[user]?.role !== 'admin' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) {
      return sftp.status(id, STATUS_CODE.PERMISSION_DENIED);
    }
    const handle = newHandle();
    open.set(handle.toString('hex'), { name, chunks: [] });
    sftp.handle(id, handle);
  });
  sftp.on('READ', (id, handle, offset, length) => {
    const data = reading.get(handle.toString('hex'));
    if (!data) return sftp.status(id, STATUS_CODE.FAILURE);
    if (offset >= data.length) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, data.subarray(offset, offset + length));
  });
  sftp.on('FSTAT', (id, handle) => {
    const data = reading.get(handle.toString('hex'));
    if (!data) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    sftp.attrs(id, { mode: 0o100644, uid: 0, gid: 0, size: data.length, atime: 0, mtime: 0 } as never);
  });
  sftp.on('WRITE', (id, handle, _offset, data) => {
    const file = open.get(handle.toString('hex'));
    if (!file) return sftp.status(id, STATUS_CODE.FAILURE);
    file.chunks.push(Buffer.from(data));
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('CLOSE', (id, handle) => {
    if (reading.delete(handle.toString('hex'))) return sftp.status(id, STATUS_CODE.OK);
    const file = open.get(handle.toString('hex'));
    if (!file) return sftp.status(id, STATUS_CODE.FAILURE);
    open.delete(handle.toString('hex'));
    const content = Buffer.concat(file.chunks);
    void store
      .transaction((s) => {
        const text = file.name.endsWith('.pem') && content.length <= 65_536 ? { content: content.toString('utf8') } : {};
        s.files[file.name] = { size: content.length, sha256: createHash('sha256').update(content).digest('hex'), ...text };
        s.audit.push({ at: new Date().toISOString(), user, command: `(sftp upload ${file.name}, ${content.length} bytes)`, result: 0 });
      })
      .then(() => sftp.status(id, STATUS_CODE.OK), () => sftp.status(id, STATUS_CODE.FAILURE));
  });
  for (const unsupported of ['OPENDIR', 'READDIR', 'REMOVE', 'RENAME', 'MKDIR', 'RMDIR', 'SETSTAT', 'FSETSTAT', 'READLINK', 'SYMLINK'] as const) {
    sftp.on(unsupported as 'READ', (id: number) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  }
  for (const stat of ['STAT', 'LSTAT'] as const) {
    sftp.on(stat as 'STAT', (id: number) => sftp.status(id, STATUS_CODE.NO_SUCH_FILE));
  }
}

/** A simulated Luna Network HSM 7 appliance: lunash over real SSH, password login. */
export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const store = applianceStore(options.dir);
  if (!existsSync(store.path)) store.write(freshApplianceState(options.name, options.serial ?? String(1_200_000 + Math.floor(Math.random() * 99_999))));
  const faults = applianceFaults(options.dir);

  const server = await startShellServer({
    ...applianceShell(store, faults),
    hostKeyFile: options.hostKeyFile ?? join(options.dir, 'host_key'),
    port: options.port,
    authenticate: (user, password) => {
      const account = store.read().users[user];
      return Boolean(account?.enabled && account.password === password);
    },
    refuseConnections: () => applianceRebooting(store), // rebooting, or hung until a power cycle
    presentOtherHostKey: () => faults.read().hostKeyChanged,
    sftp: (sftp, user) => serveUploads(store, sftp, user),
  });

  const ntls = await startNtlsPort(options.ntlsPort, () => applianceRebooting(store));
  return {
    name: options.name,
    port: server.port,
    ntlsPort: ntls.port,
    fingerprint: server.fingerprint,
    state: store,
    faults,
    async close() {
      await server.close();
      await ntls.close();
    },
  };
}

/** The appliance's NTLS service port (Luna clients: 1792), as far as a connection test sees it:
 * it accepts TCP connections (NTLS itself, TLS with client certificates, is not simulated), and
 * drops them while the appliance reboots. */
async function startNtlsPort(port: number | undefined, down: () => boolean): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    if (down()) return void socket.destroy();
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
