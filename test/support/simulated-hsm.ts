import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startAppliance, type RunningAppliance } from '../../simulator/appliance-server';
import { startBackupDevice, type RunningBackupDevice } from '../../simulator/backup-device';

export const SECRETS = {
  TEST_TENANTADMIN_PASSWORD: 'Tenant-Admin-7f3a9c',
  TEST_HSM_SO_PASSWORD: 'Hsm-SO-Secret-51b2e8',
  TEST_BACKUP_PASSWORD: 'Backup-WS-Secret-0c44d1',
  TEST_HSM_DOMAIN: 'Cloning-Domain-93ab7e',
};

export interface SimulatedHsm {
  appliance: RunningAppliance;
  backup: RunningBackupDevice;
  dir: string;
  inventoryPath: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A simulated appliance and its on-prem backup device in a temp dir, and an inventory pinning
 * their host keys. */
export async function startSimulatedHsm(name = 'hsm-sim-1', options: { fingerprint?: string } = {}): Promise<SimulatedHsm> {
  const dir = mkdtempSync(join(tmpdir(), `sim-${name}-`));
  const appliance = await startAppliance({ name, dir: join(dir, name) });
  const backup = await startBackupDevice({ name: 'onprem-backup', dir: join(dir, 'onprem-backup'), applianceDirs: [join(dir, name)], password: SECRETS.TEST_BACKUP_PASSWORD });
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(
    inventoryPath,
    stringify({
      hsms: {
        [name]: {
          host: '127.0.0.1',
          port: appliance.port,
          hostKeyFingerprint: options.fingerprint ?? appliance.fingerprint,
          credentials: { tenantadmin: 'env:TEST_TENANTADMIN_PASSWORD', hsmSo: 'env:TEST_HSM_SO_PASSWORD', hsmDomain: 'env:TEST_HSM_DOMAIN' },
          backupDevice: 'onprem-backup',
        },
      },
      backupDevices: {
        'onprem-backup': { host: '127.0.0.1', port: backup.port, hostKeyFingerprint: backup.fingerprint, credentials: { backup: 'env:TEST_BACKUP_PASSWORD' } },
      },
      approverGroups: { 'security-officers': { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] } },
      operators: ['operator@example.com'],
    }),
  );
  return {
    appliance,
    backup,
    dir,
    inventoryPath,
    env: { ...SECRETS },
    close: async () => {
      await appliance.close();
      await backup.close();
    },
  };
}
