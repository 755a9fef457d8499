import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startAppliance, type RunningAppliance } from '../../simulator/appliance-server';
import { startBackupDevice, type RunningBackupDevice } from '../../simulator/backup-device';
import type { ApplianceState, StateFile } from '../../simulator/state';
import { certificateFingerprint } from '../../simulator/lunash/appliance-logs';
import { inventoryKeys } from './people';

export const SECRETS = {
  TEST_TENANTADMIN_PASSWORD: 'Tenant-Admin-7f3a9c',
  TEST_HSM_SO_PASSWORD: 'Hsm-SO-Secret-51b2e8',
  TEST_BACKUP_PASSWORD: 'Backup-WS-Secret-0c44d1',
  TEST_HSM_DOMAIN: 'Cloning-Domain-93ab7e',
  TEST_AUDIT_PASSWORD: 'Audit-User-Secret-4e1f0a',
  TEST_BACKUP_HSM_SO: 'Backup-HSM-SO-6d21f0',
  /** The cloning domain of the partitions (as their owner initialised them)… */
  TEST_PARTITION_DOMAIN: 'Partition-Domain-4e8a17',
  /** …and the one the inventory names for them (hsms.<hsm>.partitionCredentials.<p>.domain),
   * which a backup answers: the same, unless a test says otherwise. */
  TEST_BACKUP_DOMAIN: 'Partition-Domain-4e8a17',
  TEST_PARTITION_CO: 'Crypto-Officer-b7c935',
  /** The cloning domain of a partition of another domain (`elsewhere`): no backup of the others
   * restores into it. */
  TEST_OTHER_DOMAIN: 'Other-Domain-2f9c61',
};

/** NTLS client certificates of the test inventory (throwaway self-signed ones, public). */
export const CLIENT_CERTIFICATES: Record<string, string> = {
  app01: join(__dirname, '..', 'fixtures', 'certs', 'app01.example.com.pem'),
  app02: join(__dirname, '..', 'fixtures', 'certs', 'app02.example.com.pem'),
  /** The backup workstation's (a backup ceremony registers it with this certificate). */
  'backup-ws': join(__dirname, '..', 'fixtures', 'certs', 'backup-ws.onprem.example.pem'),
};

/** The backup workstation as the appliance knows it once registered with its certificate (as a
 * real operator registers it: `<host>.pem` copied first), with these partitions assigned. */
export function backupWorkstationClient(partitions: string[]): ApplianceState['clients'][number] {
  const fingerprint = certificateFingerprint(readFileSync(CLIENT_CERTIFICATES['backup-ws'], 'utf8'));
  return {
    name: 'backup-ws',
    host: '127.0.0.1',
    partitions,
    ...(fingerprint ? { certificateFingerprint: fingerprint } : {}),
  };
}

export const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export const AZURE_RESOURCE_ID =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/hsm-rg/providers/Microsoft.HardwareSecurityModules/dedicatedHSMs/hsm-sim-1';
export const SUPPORT = 'support@example.com';
export const MICROSOFT = 'hsmrequest@microsoft.example';
/** The owner the test inventory names for client app01 (told of an NTLS certificate rotation). */
export const APP01_OWNER = 'app01-owner@example.com';

export interface SimulatedHsm {
  appliance: RunningAppliance;
  backup: RunningBackupDevice;
  /** A partition initialised otherwise than with the test's CO password and domain. */
  partitionSecrets: Record<string, { co: string; domain: string }>;
  dir: string;
  inventoryPath: string;
  /** Where a generated tenantadmin password lands (with `generatedTenantadminPassword`). */
  tenantadminSecretFile: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A simulated appliance and its on-prem backup device in a temp dir, and an inventory pinning
 * their host keys. */
export async function startSimulatedHsm(
  name = 'hsm-sim-1',
  options: { fingerprint?: string; generatedTenantadminPassword?: boolean; tenantadminRef?: string } = {},
): Promise<SimulatedHsm> {
  const dir = mkdtempSync(join(tmpdir(), `sim-${name}-`));
  const appliance = await startAppliance({ name, dir: join(dir, name) });
  const partitionSecrets: SimulatedHsm['partitionSecrets'] = {};
  const backup = await startBackupDevice({
    name: 'onprem-backup',
    dir: join(dir, 'onprem-backup'),
    applianceDirs: [join(dir, name)],
    password: SECRETS.TEST_BACKUP_PASSWORD,
    hsmSoPassword: SECRETS.TEST_BACKUP_HSM_SO,
    partitionSecrets: (_appliance, partition) =>
      partitionSecrets[partition] ?? { co: SECRETS.TEST_PARTITION_CO, domain: SECRETS.TEST_PARTITION_DOMAIN },
  });
  const inventoryPath = join(dir, 'inventory.yaml');
  const tenantadminSecretFile = join(dir, 'secrets', 'tenantadmin');
  writeTestInventory(inventoryPath, {
    name,
    port: appliance.port,
    fingerprint: options.fingerprint ?? appliance.fingerprint,
    tenantadmin:
      options.tenantadminRef ??
      (options.generatedTenantadminPassword ? `file:${tenantadminSecretFile}` : 'env:TEST_TENANTADMIN_PASSWORD'),
    ntlsPort: appliance.ntlsPort,
    backup: { port: backup.port, fingerprint: backup.fingerprint },
    serial: appliance.state.read().serial,
  });
  return {
    appliance,
    backup,
    partitionSecrets,
    dir,
    inventoryPath,
    tenantadminSecretFile,
    env: { ...SECRETS },
    close: async () => {
      await appliance.close();
      await backup.close();
    },
  };
}

/** The test inventory: one HSM on 127.0.0.1 (its credentials `env:` references to `SECRETS`,
 * unless `tenantadmin` says otherwise), its on-prem backup device when given, the approvers, the
 * production-like policy and everyone's public keys. */
export function writeTestInventory(
  path: string,
  hsm: {
    name: string;
    port: number;
    fingerprint: string;
    tenantadmin?: string;
    tenantadminKey?: string;
    ntlsPort?: number;
    backup?: { port: number; fingerprint: string };
    serial?: string;
  },
): void {
  const { name, backup } = hsm;
  writeFileSync(
    path,
    stringify({
      hsms: {
        [name]: {
          host: '127.0.0.1',
          port: hsm.port,
          hostKeyFingerprint: hsm.fingerprint,
          credentials: {
            tenantadmin: hsm.tenantadmin ?? 'env:TEST_TENANTADMIN_PASSWORD',
            ...(hsm.tenantadminKey ? { tenantadminKey: hsm.tenantadminKey } : {}),
            hsmSo: 'env:TEST_HSM_SO_PASSWORD',
            hsmDomain: 'env:TEST_HSM_DOMAIN',
            audit: 'env:TEST_AUDIT_PASSWORD',
          },
          ...(backup ? { backupDevice: 'onprem-backup' } : {}),
          azureResourceId: AZURE_RESOURCE_ID,
          ...(hsm.serial ? { serial: hsm.serial } : {}),
          // every partition the tests back up is initialised with the same Crypto Officer secret
          // and cloning domain
          partitionCredentials: {
            ...Object.fromEntries(
              ['payments', 'tokens', 'orphan', 'vault', 'restored', 'scratch'].map((p) => [
                p,
                { co: 'env:TEST_PARTITION_CO', domain: 'env:TEST_BACKUP_DOMAIN' },
              ]),
            ),
            elsewhere: { co: 'env:TEST_PARTITION_CO', domain: 'env:TEST_OTHER_DOMAIN' },
          },
          // restore drills restore into `scratch` (the other partitions' cloning domain) and clear it
          scratchPartitions: ['scratch'],
          ...(hsm.ntlsPort ? { ntls: { port: hsm.ntlsPort } } : {}),
        },
      },
      clientCertificates: Object.fromEntries(
        Object.entries(CLIENT_CERTIFICATES).map(([client, path]) => [
          client,
          {
            certificate: `file:${path}`,
            sha256: sha256Of(path),
            ...(client === 'app01' ? { owners: [APP01_OWNER] } : {}),
          },
        ]),
      ),
      ...(backup
        ? {
            backupDevices: {
              'onprem-backup': {
                host: '127.0.0.1',
                port: backup.port,
                hostKeyFingerprint: backup.fingerprint,
                credentials: { backup: 'env:TEST_BACKUP_PASSWORD', backupHsmSo: 'env:TEST_BACKUP_HSM_SO' },
              },
            },
          }
        : {}),
      approverGroups: {
        'security-officers': { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] },
      },
      // as in production: every change needs two security officers
      policy: {
        'read-only': 'none',
        reversible: { quorum: 2, groups: ['security-officers'] },
        irreversible: { quorum: 2, groups: ['security-officers'] },
        'key-material': { quorum: 2, groups: ['security-officers'] },
      },
      ...inventoryKeys(),
      operators: ['operator@example.com'],
      supportContacts: [SUPPORT],
      externalSigners: { microsoft: { name: 'Microsoft', contacts: [MICROSOFT] } },
      standingApprovals: {
        'nightly-backup': {
          ceremony: 'backup',
          hsm: name,
          kinds: ['reversible', 'key-material'],
          approvedBy: ['alice@example.com', 'bob@example.com'],
          reference: 'CAB-2026-114',
          expires: '2099-12-31',
          params: { partitions: ['payments', 'tokens'], backupDevice: 'onprem-backup' },
        },
        'weekly-drill': {
          ceremony: 'restore-drill',
          hsm: name,
          kinds: ['reversible', 'key-material'],
          approvedBy: ['alice@example.com', 'bob@example.com'],
          reference: 'CAB-2026-115',
          expires: '2099-12-31',
          params: { partitions: ['payments', 'tokens'], backupDevice: 'onprem-backup' },
        },
      },
    }),
  );
}

/** Mark the test inventory's HSM as a Luna Network HSM of one's own (not an Azure Dedicated HSM):
 * its zeroize is `hsm zeroize`. */
export function markLunaNetworkHsm(inventoryPath: string, name = 'hsm-sim-1'): void {
  const inventory = parse(readFileSync(inventoryPath, 'utf8'));
  inventory.hsms[name].platform = 'luna-network-hsm';
  delete inventory.hsms[name].azureResourceId;
  writeFileSync(inventoryPath, stringify(inventory));
}

/** Put the appliance in the state an hsm-init ceremony leaves (a test's starting point). */
export function initialiseDirectly(
  sim: SimulatedHsm,
  partitions: { name: string; objects: number; assignedToBackup?: boolean }[] = [],
): void {
  initialiseState(sim.appliance.state, partitions);
}

/** The same, on an appliance's state file. */
export function initialiseState(
  store: StateFile<ApplianceState>,
  partitions: { name: string; objects: number; assignedToBackup?: boolean }[] = [],
): void {
  store.update((s) => {
    s.users.tenantadmin = {
      ...s.users.tenantadmin,
      password: SECRETS.TEST_TENANTADMIN_PASSWORD,
      mustChangePassword: false,
    };
    s.users.audit = { role: 'audit', password: SECRETS.TEST_AUDIT_PASSWORD, mustChangePassword: false, enabled: true };
    s.zeroized = false;
    s.label = 'HSM1';
    s.hsmSoPassword = SECRETS.TEST_HSM_SO_PASSWORD;
    s.partitions = partitions.map((p, i) => ({
      name: p.name,
      serial: `15000000${String(i + 1).padStart(5, '0')}`,
      objects: p.objects,
      createdAt: new Date().toISOString(),
    }));
    const backupPartitions = partitions.filter((p) => p.assignedToBackup).map((p) => p.name);
    s.clients = backupPartitions.length ? [backupWorkstationClient(backupPartitions)] : [];
  });
}
