import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startAppliance, type RunningAppliance } from '../simulator/appliance-server';
import { startBackupDevice, type RunningBackupDevice } from '../simulator/backup-device';
import { BENCH_PEOPLE, benchKeys } from './harness';

const PASSWORD = 'Bench-Tenant-Admin-1';
const SO = 'Bench-HSM-SO-2';
const BACKUP = 'Bench-Backup-3';
const BACKUP_HSM_SO = 'Bench-Backup-HSM-SO-4';
const DOMAIN = 'Bench-Domain-5';
const CO = 'Bench-Crypto-Officer-6';

/** Where the worker reaches a simulated appliance (the inventory's part of it). */
export interface ApplianceAddress {
  name: string;
  port: number;
  ntlsPort: number;
  fingerprint: string;
}

/** The secrets every bench inventory names (`env:BENCH_*`), for the worker's environment. */
export const BENCH_SECRETS_ENV = { BENCH_TENANTADMIN: PASSWORD, BENCH_SO: SO, BENCH_BACKUP: BACKUP, BENCH_BACKUP_HSM_SO: BACKUP_HSM_SO, BENCH_DOMAIN: DOMAIN, BENCH_CO: CO };

export const benchApplianceName = (i: number) => `hsm-${String(i).padStart(2, '0')}`;

/** A bench inventory of these appliances (and their backup device, if any, with a nightly
 * backup's standing pre-approval per appliance): the group `security-officers` (alice, bob,
 * carol), read-only steps need no approval, everything else two of the group. */
export function writeBenchInventory(path: string, appliances: ApplianceAddress[], backup?: { port: number; fingerprint: string }): void {
  writeFileSync(
    path,
    stringify({
      hsms: Object.fromEntries(
        appliances.map((a) => [
          a.name,
          {
            host: '127.0.0.1',
            port: a.port,
            hostKeyFingerprint: a.fingerprint,
            ...(backup ? { backupDevice: 'onprem-backup' } : {}),
            credentials: { tenantadmin: 'env:BENCH_TENANTADMIN', hsmSo: 'env:BENCH_SO' },
            partitionCredentials: { payments: { co: 'env:BENCH_CO' } },
            ntls: { port: a.ntlsPort },
          },
        ]),
      ),
      ...(backup
        ? {
            backupDevices: {
              'onprem-backup': { host: '127.0.0.1', port: backup.port, hostKeyFingerprint: backup.fingerprint, credentials: { backup: 'env:BENCH_BACKUP', backupHsmSo: 'env:BENCH_BACKUP_HSM_SO', backupDomain: 'env:BENCH_DOMAIN' } },
            },
            // what a nightly backup runs on: one pre-approval per appliance
            standingApprovals: Object.fromEntries(
              appliances.map((a) => [`nightly-${a.name}`, { ceremony: 'backup', hsm: a.name, kinds: ['reversible', 'key-material'], approvedBy: ['alice@example.com', 'bob@example.com'], reference: 'CAB-BENCH', expires: '2099-12-31' }]),
            ),
          }
        : {}),
      approverGroups: { 'security-officers': { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] } },
      policy: { 'read-only': 'none', reversible: { quorum: 2, groups: ['security-officers'] }, irreversible: { quorum: 2, groups: ['security-officers'] }, 'key-material': { quorum: 2, groups: ['security-officers'] } },
      ...benchKeys.inventory(BENCH_PEOPLE),
      operators: ['operator@example.com'],
    }),
  );
}

/** `n` simulated appliances and one backup device, with an inventory naming them `hsm-NN`. */
export async function simulatedFleet(dir: string, n: number): Promise<{
  appliances: RunningAppliance[];
  backup: RunningBackupDevice;
  inventoryPath: string;
  env: Record<string, string>;
  password: string;
  close(): Promise<void>;
}> {
  const appliances: RunningAppliance[] = [];
  for (let i = 1; i <= n; i++) appliances.push(await startAppliance({ name: benchApplianceName(i), dir: join(dir, `hsm-${i}`) }));
  const backup = await startBackupDevice({
    name: 'onprem-backup',
    dir: join(dir, 'backup'),
    applianceDirs: appliances.map((_, i) => join(dir, `hsm-${i + 1}`)),
    password: BACKUP,
    hsmSoPassword: BACKUP_HSM_SO,
    partitionSecrets: () => ({ co: CO, domain: DOMAIN }),
  });
  const inventoryPath = join(dir, 'inventory.yaml');
  writeBenchInventory(inventoryPath, appliances, backup);
  return {
    appliances,
    backup,
    inventoryPath,
    env: { ...BENCH_SECRETS_ENV },
    password: PASSWORD,
    async close() {
      for (const a of appliances) await a.close();
      await backup.close();
    },
  };
}

/** An initialised appliance with partitions visible to the backup workstation. */
export function initialiseForBench(appliance: RunningAppliance, partitions: string[] = []): void {
  appliance.state.update((s) => {
    s.users.tenantadmin = { ...s.users.tenantadmin, password: PASSWORD, mustChangePassword: false };
    s.zeroized = false;
    s.label = 'BENCH';
    s.hsmSoPassword = SO;
    s.partitions = partitions.map((name, i) => ({ name, serial: `15${s.serial.padStart(7, '0').slice(-7)}${String(i + 1).padStart(4, '0')}`, objects: 10, createdAt: new Date().toISOString() }));
    s.clients = partitions.length ? [{ name: 'backup-ws', host: '127.0.0.1', partitions }] : [];
  });
}
