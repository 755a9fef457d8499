import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { applianceStore } from './appliance-server';
import { FaultFile } from './faults';
import { PARTITION_ARCHIVE_LIST, renderTable } from '../activities/device/lunash-layouts';
import { CRLF } from './lunash/output';
import { CommandShell, LunaError, type CommandContext, type CommandSpec, type ShellDialect } from './lunash/shell';
import { startShellServer } from './ssh/shell-server';
import { StateFile } from './state';

// The on-prem backup side: a backup workstation reached over the VPN, with a Luna Backup HSM
// attached, driven through LunaCM. The workstation is a registered NTLS client of the
// appliances: a partition assigned to its client name shows up as a slot it can back up.
// Backups are identified by the target partition name on the backup HSM (we label them with
// the ceremony id), so a retried backup finds the one it made.

export const BackupStateSchema = z.object({
  name: z.string(),
  serial: z.string(),
  /** The NTLS client name the appliances know this workstation by. */
  clientName: z.string().default('backup-ws'),
  users: z.record(z.string(), z.object({ password: z.string() })),
  backups: z
    .array(z.object({ label: z.string(), sourceSerial: z.string(), sourcePartition: z.string(), sourceAppliance: z.string(), objects: z.number().int(), createdAt: z.string() }))
    .default([]),
  audit: z.array(z.object({ at: z.string(), user: z.string(), command: z.string(), result: z.number().int() })).default([]),
});
export type BackupState = z.infer<typeof BackupStateSchema>;

interface Slot {
  id: number;
  label: string;
  serial: string;
  description: string;
  appliance?: string;
}

function slots(state: BackupState, applianceDirs: string[]): Slot[] {
  const list: Slot[] = [{ id: 0, label: state.name, serial: state.serial, description: 'G7 Backup HSM' }];
  for (const dir of applianceDirs) {
    const appliance = applianceStore(dir).read();
    const client = appliance.clients.find((c) => c.name === state.clientName);
    for (const partition of appliance.partitions.filter((p) => client?.partitions.includes(p.name))) {
      list.push({ id: list.length, label: partition.name, serial: partition.serial, description: 'Net Token Slot', appliance: dir });
    }
  }
  return list;
}

function slotArg(c: CommandContext<BackupState>, dirs: string[]): Slot {
  const id = Number(c.options.slot);
  const slot = slots(c.state, dirs).find((s) => s.id === id);
  if (!slot) throw new LunaError('0x00000003', 'CKR_SLOT_ID_INVALID', `No slot ${String(c.options.slot)}.`);
  return slot;
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function backupCommands(applianceDirs: string[]): CommandSpec<BackupState>[] {
  return [
    {
      words: ['slot', 'list'],
      // as LunaCM 7.1/7.2 prints it (Cloudflare docs, Keyless SSL with IBM Cloud HSM / Azure
      // Dedicated HSM); the Backup HSM slot's model and configuration are guessed
      run: async (c) => {
        const field = (name: string, value: string | number) => `    ${`${name} ->`.padEnd(24)}${value}`.trimEnd();
        const blocks = slots(c.state, applianceDirs).map((s) =>
          [
            field('Slot Id', s.id),
            field('Label', s.label),
            field('Serial Number', s.serial),
            field('Model', s.description === 'Net Token Slot' ? 'LunaSA 7.2.0' : 'G7 Backup HSM'),
            field('Firmware Version', '7.0.3'),
            field('Configuration', s.description === 'Net Token Slot' ? 'Luna User Partition With SO (PW) Signing With Cloning Mode' : 'Backup Device'),
            field('Slot Description', s.description),
            '',
          ].join(CRLF),
        );
        return ['', '    Available HSMs:', '', ...blocks, '', '    Current Slot Id: 0'].join(CRLF);
      },
    },
    {
      words: ['partition', 'archive', 'backup'],
      options: { slot: 'value', partition: 'value', replace: 'flag', append: 'flag' },
      required: ['slot', 'partition'],
      run: async (c) => {
        const source = slotArg(c, applianceDirs);
        if (source.description !== 'Net Token Slot') throw new LunaError('0x00000003', 'CKR_SLOT_ID_INVALID', 'The source must be an HSM partition slot.');
        const label = String(c.options.partition);
        if (!LABEL.test(label)) throw new LunaError('0x00000013', 'CKR_ATTRIBUTE_VALUE_INVALID', `Invalid backup partition name: ${label}`);
        const existing = c.state.backups.find((b) => b.label === label);
        if (existing && !c.options.replace && !c.options.append) throw new LunaError('0x80000203', 'LUNA_RET_OBJECT_EXISTS', `Backup partition ${label} exists: use -replace or -append.`);
        const partition = applianceStore(source.appliance!).read().partitions.find((p) => p.serial === source.serial);
        if (!partition) throw new LunaError('0x00000003', 'CKR_SLOT_ID_INVALID', 'The source partition is gone.');
        c.state.backups = c.state.backups.filter((b) => b.label !== label);
        c.state.backups.push({
          label,
          sourceSerial: partition.serial,
          sourcePartition: partition.name,
          sourceAppliance: applianceStore(source.appliance!).read().name,
          objects: partition.objects,
          createdAt: new Date().toISOString(),
        });
        return [`Creating partition ${label} on the backup HSM...`, `Backing up ${partition.objects} objects...`, `Backup complete: ${partition.objects} objects have been backed up to partition ${label} on the backup device.`].join(CRLF);
      },
    },
    {
      words: ['partition', 'archive', 'list'],
      options: { slot: 'value' },
      required: ['slot'],
      run: async (c) => {
        if (slotArg(c, applianceDirs).id !== 0) throw new LunaError('0x00000003', 'CKR_SLOT_ID_INVALID', 'Not a backup HSM slot.');
        return renderTable(PARTITION_ARCHIVE_LIST, c.state.backups.map((b) => [b.label, String(b.objects), b.sourceSerial, b.createdAt])).join(CRLF);
      },
    },
  ];
}

/** LunaCM as the backup workstation prints it. */
function lunacm(applianceDirs: string[]): ShellDialect<BackupState> {
  return {
    commands: backupCommands(applianceDirs),
    success: 'Command Result : No Error',
    failure: (error) => `Command Result : ${error ? `${error.code} (${error.name})` : '0x00000003 (CKR_ARGUMENTS_BAD)'}`,
    errorLine: (_command, _code, name) => `Error in execution: ${name}.`,
    role: () => 'admin',
  };
}

export interface BackupDeviceOptions {
  name: string;
  dir: string;
  /** State dirs of the appliances this workstation is a client of. */
  applianceDirs: string[];
  port?: number;
  password?: string;
}

export interface RunningBackupDevice {
  name: string;
  port: number;
  fingerprint: string;
  state: StateFile<BackupState>;
  faults: FaultFile;
  close(): Promise<void>;
}

export async function startBackupDevice(options: BackupDeviceOptions): Promise<RunningBackupDevice> {
  const store = new StateFile(join(options.dir, 'state.json'), BackupStateSchema);
  if (!existsSync(store.path)) {
    store.write(BackupStateSchema.parse({ name: options.name, serial: String(7_000_000 + Math.floor(Math.random() * 99_999)), users: { backup: { password: options.password ?? 'backup-password' } } }));
  }
  const faults = new FaultFile(join(options.dir, 'faults.json'));
  const dialect = lunacm(options.applianceDirs);
  const server = await startShellServer({
    hostKeyFile: join(options.dir, 'host_key'),
    port: options.port,
    authenticate: (user, password) => store.read().users[user]?.password === password,
    refuseConnections: () => faults.read().unreachable, // the VPN path is down
    presentOtherHostKey: () => faults.read().hostKeyChanged,
    banner: () => `LunaCM v7.4.0-226. Copyright (c) 2023 Thales Group. All rights reserved.${CRLF}${CRLF}`,
    prompt: () => 'lunacm:>',
    interpreter: (user, io, control) => new CommandShell(store, faults, user, io, control, dialect),
  });
  return { name: options.name, port: server.port, fingerprint: server.fingerprint, state: store, faults, close: server.close };
}
