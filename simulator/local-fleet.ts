import { createHash, randomBytes } from 'node:crypto';
import selfsigned from 'selfsigned';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadInventory, type Inventory } from '../ceremonies/inventory';
import { own } from '../ceremonies/own';
import { startAppliance, type RunningAppliance } from './appliance-server';
import { startAzureArm, type AzureArm } from './azure-arm';
import { startBackupDevice, type RunningBackupDevice } from './backup-device';
import { ATTESTATION_KEY_NAME, ensureLocalKey } from './local-keys';

export interface LocalFleet {
  appliances: RunningAppliance[];
  backup: RunningBackupDevice;
  arm: AzureArm;
  /** Environment for the worker to reach the ARM stand-in (endpoint, CA, managed identity). */
  azureEnvPath: string;
  /** The inventory the worker uses: the sample's names and groups, the simulators' ports and
   * host keys, and `file:` references to generated secrets. */
  inventoryPath: string;
  close(): Promise<void>;
}

/** A secret for the simulated devices, generated once and kept under the data dir (mode 600). */
function secretFile(dir: string, name: string): string {
  const path = join(dir, 'secrets', name);
  if (!existsSync(path)) {
    mkdirSync(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });
  }
  return path;
}

/** A self-signed NTLS certificate for each client the sample inventory names (the demo's app01),
 * generated once under the data dir: what a client owner makes with `vtl createCert`. */
async function clientCertificates(sample: Inventory, simDir: string): Promise<Inventory['clientCertificates']> {
  const out: Inventory['clientCertificates'] = {};
  for (const client of Object.keys(sample.clientCertificates)) {
    const path = join(simDir, 'clients', `${client}.pem`);
    if (!existsSync(path)) {
      mkdirSync(join(simDir, 'clients'), { recursive: true });
      writeFileSync(
        path,
        (await selfsigned.generate([{ name: 'commonName', value: client }], { days: 3650, keySize: 2048 } as never))
          .cert,
      );
    }
    const owners = sample.clientCertificates[client].owners;
    out[client] = {
      certificate: `file:${path}`,
      sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      ...(owners ? { owners } : {}),
    };
  }
  return out;
}

/** Start one simulated appliance per HSM of the sample inventory (on its port) and one backup
 * device, under `dataDir/sim`. State, host keys and secrets persist across restarts. */
export async function startLocalFleet(
  sampleInventoryPath: string,
  dataDir: string,
  options: { backupPort?: number } = {},
): Promise<LocalFleet> {
  const sample = loadInventory(sampleInventoryPath);
  const simDir = resolve(dataDir, 'sim');
  const appliances: RunningAppliance[] = [];
  for (const [name, entry] of Object.entries(sample.hsms)) {
    appliances.push(await startAppliance({ name, dir: join(simDir, name), port: entry.port }));
  }
  const backupName = Object.keys(sample.backupDevices)[0] ?? 'onprem-backup';
  const backupEntry = own(sample.backupDevices, backupName);
  const backupPassword = secretFile(simDir, `${backupName}-backup`);
  const backupHsmSo = secretFile(simDir, `${backupName}-hsm-so`);
  // every partition is initialised by its owner with a Crypto Officer password of its own and
  // the fleet's cloning domain (one for all partitions here), which their backups answer
  const partitionDomain = secretFile(simDir, 'partition-domain');
  const partitionCo = (appliance: string, partition: string) => secretFile(simDir, `${appliance}-${partition}-co`);
  const read = (path: string) => readFileSync(path, 'utf8').trim();
  const backup = await startBackupDevice({
    name: backupName,
    dir: join(simDir, backupName),
    applianceDirs: appliances.map((a) => join(simDir, a.name)),
    port: options.backupPort ?? backupEntry?.port ?? 2299,
    password: read(backupPassword),
    hsmSoPassword: read(backupHsmSo),
    partitionSecrets: (appliance, partition) => ({
      co: read(partitionCo(appliance, partition)),
      domain: read(partitionDomain),
    }),
  });

  // everyone who may decide on a gate gets a local signing key; the web app an attestation key
  // each appliance's audit user gets a generated password (Thales: the audit user is disabled by default)
  for (const a of appliances) {
    const password = readFileSync(secretFile(simDir, `${a.name}-audit`), 'utf8').trim();
    a.state.update(
      (st) => void (st.users.audit = { role: 'audit', password, mustChangePassword: false, enabled: true }),
    );
  }
  const people = [
    ...new Set([
      ...Object.values(sample.approverGroups).flatMap((g) => g.members),
      ...sample.operators,
      ...Object.values(sample.externalSigners).flatMap((s) => s.contacts),
      ...Object.values(sample.haGroups).flatMap((g) => g.owners),
      ...Object.values(sample.clientCertificates).flatMap((c) => c.owners ?? []),
    ]),
  ];
  const inventory: Inventory = {
    ...sample,
    signingKeys: Object.fromEntries(people.map((email) => [email, [ensureLocalKey(dataDir, email)]])),
    attestationKeys: [ensureLocalKey(dataDir, ATTESTATION_KEY_NAME)],
    hsms: Object.fromEntries(
      appliances.map((a) => [
        a.name,
        {
          ...own(sample.hsms, a.name)!,
          host: '127.0.0.1',
          port: a.port,
          hostKeyFingerprint: a.fingerprint,
          // ARM exposes no serial: the inventory records which appliance the resource is
          serial: a.state.read().serial,
          backupDevice: backupName,
          credentials: {
            tenantadmin: `file:${secretFile(simDir, `${a.name}-tenantadmin`)}`,
            hsmSo: `file:${secretFile(simDir, `${a.name}-hsm-so`)}`,
            hsmDomain: `file:${secretFile(simDir, `${a.name}-hsm-domain`)}`,
            audit: `file:${secretFile(simDir, `${a.name}-audit`)}`,
          },
          partitionCredentials: Object.fromEntries(
            Object.keys(own(sample.hsms, a.name)?.partitionCredentials ?? {}).map((p) => [
              p,
              { co: `file:${partitionCo(a.name, p)}`, domain: `file:${partitionDomain}` },
            ]),
          ),
          ntls: { port: a.ntlsPort },
        },
      ]),
    ),
    clientCertificates: await clientCertificates(sample, simDir),
    backupDevices: {
      [backupName]: {
        host: '127.0.0.1',
        port: backup.port,
        hostKeyFingerprint: backup.fingerprint,
        credentials: { backup: `file:${backupPassword}`, backupHsmSo: `file:${backupHsmSo}` },
        user: backupEntry?.user ?? 'backup',
        clientName: backup.state.read().clientName,
        lunacm: backupEntry?.lunacm ?? 'lunacm',
      },
    },
  };
  const arm = await startAzureArm(
    Object.values(sample.hsms).flatMap((h) => (h.azureResourceId ? [h.azureResourceId] : [])),
  );
  const azureEnvPath = join(simDir, 'azure.env.json');
  writeFileSync(azureEnvPath, `${JSON.stringify(arm.env, null, 2)}\n`);
  const inventoryPath = join(simDir, 'inventory.yaml');
  writeFileSync(
    inventoryPath,
    `# generated by the simulator from ${sampleInventoryPath}; do not edit\n${stringify(inventory)}`,
  );
  return {
    appliances,
    backup,
    arm,
    azureEnvPath,
    inventoryPath,
    async close() {
      for (const a of appliances) await a.close();
      await backup.close();
      await arm.close();
    },
  };
}
