import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { utils as sshUtils, type ServerChannel, type SFTPWrapper } from 'ssh2';
import { FaultFile } from './faults';
import { LUNASH, PASSWORD_RULES, readNewUserPassword } from './lunash/commands';
import { CommandShell } from './lunash/shell';
import { CRLF, PROMPT } from './lunash/output';
import type { LineReader } from './ssh/line-reader';
import { startShellServer } from './ssh/shell-server';
import { ApplianceStateSchema, freshApplianceState, StateFile, type ApplianceState } from './state';

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

export function applianceStore(dir: string): StateFile<ApplianceState> {
  return new StateFile(join(dir, 'state.json'), ApplianceStateSchema);
}

/** The reboot is over (or an operator power-cycled a hung one): apply a pending update. */
export function finishReboot(store: StateFile<ApplianceState>): void {
  store.update((s) => {
    s.reboot = null;
    if (s.pendingUpdate) {
      s.firmware = s.pendingUpdate.firmware;
      s.pendingUpdate = null;
    }
  });
}

/** Azure's first login: the factory password must be changed before the shell starts (as
 * captured on a 7.2 Azure unit). */
async function forcedPasswordChange(store: StateFile<ApplianceState>, channel: ServerChannel, reader: LineReader, user: string): Promise<boolean> {
  const account = store.read().users[user];
  if (!account?.mustChangePassword) return true;
  const box = [
    '*****************************************************',
    '**                                                 **',
    '**   For security purposes, you must change your   **',
    '**   password.                                     **',
    '**                                                 **',
    '**   Please ensure you store your new password     **',
    '**   in a secure location.                         **',
    '**                                                 **',
    '**               DO NOT LOSE IT!                   **',
    '**                                                 **',
    '*****************************************************',
  ];
  channel.write(`${box.join(CRLF)}${CRLF}${CRLF}Changing password for user ${user}.${CRLF}${CRLF}${PASSWORD_RULES}`);
  const { password, problem } = await readNewUserPassword(async (prompt) => {
    channel.write(prompt);
    return reader.read(false);
  });
  if (!password || password === account.password) {
    channel.write(`${problem ?? 'BAD PASSWORD: The password is the same as the old one'}${CRLF}passwd: Authentication token manipulation error${CRLF}`);
    return false;
  }
  await store.transaction((s) => {
    s.users[user].password = password;
    s.users[user].mustChangePassword = false;
    s.audit.push({ at: new Date().toISOString(), user, command: '(first login password change)', result: 0 });
  });
  channel.write(`passwd: all authentication tokens updated successfully.${CRLF}Password change successful.${CRLF}${CRLF}`);
  return true;
}

/** The admin's upload area over SFTP (how update packages reach a real appliance). Only
 * whole-file writes are supported; the state keeps each file's size and sha256. */
function serveUploads(store: StateFile<ApplianceState>, sftp: SFTPWrapper, user: string): void {
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
    void store
      .transaction((s) => {
        s.files[file.name] = { size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
        s.audit.push({ at: new Date().toISOString(), user, command: `(sftp upload ${file.name}, ${content.length} bytes)`, result: 0 });
      })
      .then(() => sftp.status(id, STATUS_CODE.OK), () => sftp.status(id, STATUS_CODE.FAILURE));
  });
  for (const unsupported of ['READ', 'OPENDIR', 'READDIR', 'REMOVE', 'RENAME', 'MKDIR', 'RMDIR', 'SETSTAT', 'FSETSTAT', 'READLINK', 'SYMLINK'] as const) {
    sftp.on(unsupported as 'READ', (id: number) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  }
  for (const stat of ['STAT', 'LSTAT', 'FSTAT'] as const) {
    sftp.on(stat as 'STAT', (id: number) => sftp.status(id, STATUS_CODE.NO_SUCH_FILE));
  }
}

/** A simulated Luna Network HSM 7 appliance: lunash over real SSH, password login. */
export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const store = applianceStore(options.dir);
  if (!existsSync(store.path)) store.write(freshApplianceState(options.name, options.serial ?? String(1_200_000 + Math.floor(Math.random() * 99_999))));
  const faults = new FaultFile(join(options.dir, 'faults.json'));

  const server = await startShellServer({
    hostKeyFile: options.hostKeyFile ?? join(options.dir, 'host_key'),
    port: options.port,
    authenticate: (user, password) => {
      const account = store.read().users[user];
      return Boolean(account?.enabled && account.password === password);
    },
    refuseConnections: () => {
      const reboot = store.read().reboot;
      if (!reboot) return false;
      if (reboot.until !== null && Date.parse(reboot.until) <= Date.now()) {
        finishReboot(store);
        return false;
      }
      return true; // rebooting, or hung until a power cycle
    },
    presentOtherHostKey: () => faults.read().hostKeyChanged,
    banner: () =>
      `Last login: ${new Date().toUTCString()} from 127.0.0.1${CRLF}${CRLF}Luna Network HSM Command Line Shell v${store.read().softwareVersion}. Copyright (c) 2023 Thales Group. All rights reserved.${CRLF}${CRLF}${CRLF}`,
    prompt: () => `[${store.read().name}] ${PROMPT}`,
    beforePrompt: (channel, reader, user) => forcedPasswordChange(store, channel, reader, user),
    execRefusal: (user) => (store.read().users[user]?.mustChangePassword ? 'You are required to change your password: log in interactively first.' : undefined),
    interpreter: (user, io, control) => new CommandShell(store, faults, user, io, control, LUNASH),
    sftp: (sftp, user) => serveUploads(store, sftp, user),
  });

  return { name: options.name, port: server.port, fingerprint: server.fingerprint, state: store, faults, close: server.close };
}
