import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startAppliance, type RunningAppliance } from '../../simulator/appliance-server';

export const SECRETS = {
  TEST_TENANTADMIN_PASSWORD: 'Tenant-Admin-7f3a9c',
  TEST_HSM_SO_PASSWORD: 'Hsm-SO-Secret-51b2e8',
};

export interface SimulatedHsm {
  appliance: RunningAppliance;
  dir: string;
  inventoryPath: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A simulated appliance in a temp dir, and an inventory pinning its host key. */
export async function startSimulatedHsm(name = 'hsm-sim-1', options: { fingerprint?: string } = {}): Promise<SimulatedHsm> {
  const dir = mkdtempSync(join(tmpdir(), `sim-${name}-`));
  const appliance = await startAppliance({ name, dir: join(dir, name) });
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(
    inventoryPath,
    stringify({
      hsms: {
        [name]: {
          host: '127.0.0.1',
          port: appliance.port,
          hostKeyFingerprint: options.fingerprint ?? appliance.fingerprint,
          credentials: { tenantadmin: 'env:TEST_TENANTADMIN_PASSWORD', hsmSo: 'env:TEST_HSM_SO_PASSWORD' },
        },
      },
      approverGroups: { 'security-officers': { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] } },
      operators: ['operator@example.com'],
    }),
  );
  return { appliance, dir, inventoryPath, env: { ...SECRETS }, close: () => appliance.close() };
}
