import { join } from 'node:path';
import { z } from 'zod';
import { FaultFile } from './faults';
import { lunacm, slotList, type PartitionSecrets } from './lunacm-commands';
import { CRLF } from './lunash/output';
import { CommandShell } from './lunash/shell';
import { startShellServer } from './ssh/shell-server';
import { StateFile } from './state';
import { WorkstationShell } from './workstation-shell';

// The on-prem backup side: a backup workstation reached over the VPN (an ordinary Linux login),
// with a Luna Backup HSM attached, driven through LunaCM started from its shell. The workstation
// is a registered NTLS client of the appliances: a partition assigned to its client name shows up
// as a slot it can back up (simulator/lunacm-commands.ts).

export const BackupStateSchema = z.object({
  name: z.string(),
  serial: z.string(),
  /** The NTLS client name the appliances know this workstation by. */
  clientName: z.string().default('backup-ws'),
  users: z.record(z.string(), z.object({ password: z.string() })),
  /** The Luna Backup HSM's SO password (asked when a backup partition is created). */
  hsmSoPassword: z.string().default('backup-hsm-so-password'),
  /** The Backup HSM as `slot list` shows it (the model's words guessed) and its firmware. */
  backupHsmModel: z.string().default('G7 Backup HSM'),
  backupHsmFirmware: z.string().default('7.7.1'),
  /** The Luna HSM Client (LunaCM prints its version as it starts). */
  clientVersion: z.string().default('10.4.0-417'),
  /** Crypto Officer login attempts left, per `<appliance>/<partition>` (10 unless a failure
   * counted: Thales, "Logging In to the Application Partition", partition policy 20). */
  coLoginAttemptsLeft: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Backup partitions on the Backup HSM. LunaCM shows their name and objects; the rest is what
   * the simulated device knows of them (never printed). */
  backups: z
    .array(
      z.object({
        label: z.string(),
        /** The cloning domain the backup partition was created with. */
        domain: z.string().default(''),
        objects: z.number().int(),
        sourceSerial: z.string(),
        sourcePartition: z.string(),
        sourceAppliance: z.string(),
        /** The firmware of the appliance it was backed up from (a 7.7+ partition's backup does not
         * restore to older firmware: Thales, `partition archive restore`). */
        sourceFirmware: z.string().optional(),
        createdAt: z.string(),
      }),
    )
    .default([]),
  audit: z
    .array(z.object({ at: z.string(), user: z.string(), command: z.string(), result: z.number().int() }))
    .default([]),
});
export type BackupState = z.infer<typeof BackupStateSchema>;

export interface BackupDeviceOptions {
  name: string;
  dir: string;
  /** State dirs of the appliances this workstation is a client of. */
  applianceDirs: string[];
  port?: number;
  /** The workstation's OS login user (default `backup`) and its password. */
  user?: string;
  password?: string;
  /** The Backup HSM's SO password. */
  hsmSoPassword?: string;
  /** The Crypto Officer password and cloning domain of each appliance partition. */
  partitionSecrets: PartitionSecrets;
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
  if (!store.exists()) {
    store.write(
      BackupStateSchema.parse({
        name: options.name,
        serial: String(7_000_000 + Math.floor(Math.random() * 99_999)),
        users: { [options.user ?? 'backup']: { password: options.password ?? 'backup-password' } },
        hsmSoPassword: options.hsmSoPassword ?? 'backup-hsm-so-password',
      }),
    );
  }
  if (options.hsmSoPassword !== undefined && store.read().hsmSoPassword !== options.hsmSoPassword) {
    store.update((s) => void (s.hsmSoPassword = options.hsmSoPassword!)); // the secret the fleet keeps for it
  }
  const faults = new FaultFile(join(options.dir, 'faults.json'));
  const dialect = lunacm(options.applianceDirs, options.partitionSecrets);
  const server = await startShellServer({
    hostKeyFile: join(options.dir, 'host_key'),
    port: options.port,
    authenticate: (user, password) => store.read().users[user]?.password === password,
    refuseConnections: () => faults.read().unreachable, // the VPN path is down
    presentOtherHostKey: () => faults.read().hostKeyChanged,
    banner: () => `Last login: ${new Date().toUTCString()} from 10.0.0.4${CRLF}`,
    prompt: () => '$ ',
    interpreter: (user, io, control) =>
      new WorkstationShell({
        user,
        hostName: options.name,
        io,
        faults,
        control,
        lunacm: {
          // as LunaCM 7.2 starts (Cloudflare docs, Keyless SSL with Azure Dedicated HSM): the
          // client's version first
          banner: () =>
            `LunaCM (64-bit) v${store.read().clientVersion}. Copyright (c) 2023 Thales Group. All rights reserved.${CRLF}${slotList(store.read(), options.applianceDirs).replace(/\r\n/g, faults.read().lineEnding)}${CRLF}${CRLF}`,
          shell: (lunaIo, lunaControl) => new CommandShell(store, faults, user, lunaIo, lunaControl, dialect),
        },
      }),
  });
  return {
    name: options.name,
    port: server.port,
    fingerprint: server.fingerprint,
    state: store,
    faults,
    close: () => server.close(),
  };
}
