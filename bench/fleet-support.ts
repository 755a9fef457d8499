import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { RunningAppliance } from '../simulator/appliance-server';
import { BENCH_PEOPLE, benchKeys } from './harness';

const PASSWORD = 'Bench-Tenant-Admin-1';
const SO = 'Bench-HSM-SO-2';
const CO = 'Bench-Crypto-Officer-6';

/** Where the worker reaches a simulated appliance (the inventory's part of it). */
export interface ApplianceAddress {
  name: string;
  port: number;
  ntlsPort: number;
  fingerprint: string;
}

/** The secrets every bench inventory names (`env:BENCH_*`), for the worker's environment. */
export const BENCH_SECRETS_ENV = { BENCH_TENANTADMIN: PASSWORD, BENCH_SO: SO, BENCH_CO: CO };

export const benchApplianceName = (i: number) => `hsm-${String(i).padStart(2, '0')}`;

/** A bench inventory of these appliances: the group `security-officers` (alice, bob, carol),
 * read-only steps need no approval, everything else two of the group. */
export function writeBenchInventory(path: string, appliances: ApplianceAddress[]): void {
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
            credentials: { tenantadmin: 'env:BENCH_TENANTADMIN', hsmSo: 'env:BENCH_SO' },
            partitionCredentials: { payments: { co: 'env:BENCH_CO' } },
            ntls: { port: a.ntlsPort },
          },
        ]),
      ),
      approverGroups: {
        'security-officers': { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] },
      },
      policy: {
        'read-only': 'none',
        reversible: { quorum: 2, groups: ['security-officers'] },
        irreversible: { quorum: 2, groups: ['security-officers'] },
        'key-material': { quorum: 2, groups: ['security-officers'] },
      },
      ...benchKeys.inventory(BENCH_PEOPLE),
      operators: ['operator@example.com'],
    }),
  );
}

/** An initialised appliance with partitions visible to the backup workstation. */
export function initialiseForBench(appliance: RunningAppliance, partitions: string[] = []): void {
  appliance.state.update((s) => {
    s.users.tenantadmin = { ...s.users.tenantadmin, password: PASSWORD, mustChangePassword: false };
    s.zeroized = false;
    s.label = 'BENCH';
    s.hsmSoPassword = SO;
    s.partitions = partitions.map((name, i) => ({
      name,
      serial: `15${s.serial.padStart(7, '0').slice(-7)}${String(i + 1).padStart(4, '0')}`,
      objects: 10,
      createdAt: new Date().toISOString(),
    }));
    s.clients = partitions.length ? [{ name: 'backup-ws', host: '127.0.0.1', partitions }] : [];
  });
}
