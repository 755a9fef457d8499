import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { applianceFaults, applianceRebooting, applianceShell, applianceStore } from './appliance-shell';
import type { FaultFile } from './faults';
import { scpSinkTarget, scpSourceFile, serveScpSink, serveScpSource } from './scp-sink';
import { startShellServer } from './ssh/shell-server';
import { selfSignedServerCertificate } from './lunash/init-commands';
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
  /** Keep state.json in memory, written on close (benchmarks; see `StateFileOptions`). A backup
   * device reading this appliance's directory sees only what was written. */
  stateInMemory?: boolean;
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
  const cert = await selfSignedServerCertificate(store.read());
  return Buffer.from(store.update((s) => (s.serverCertificate ??= cert)));
}

/** A simulated Luna Network HSM 7 appliance: lunash over real SSH, password login, files in and
 * server.pem out by scp (no SFTP subsystem). */
export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const store = applianceStore(options.dir, { inMemory: options.stateInMemory });
  if (!store.exists())
    store.write(
      freshApplianceState(options.name, options.serial ?? String(1_200_000 + Math.floor(Math.random() * 99_999))),
    );
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
    execHandler: (command, user, channel, cut) => {
      const target = scpSinkTarget(command);
      if (target !== null) {
        serveScpSink(channel, target, { user, store, faults, cut });
        return true;
      }
      const file = scpSourceFile(command);
      if (file === null) return false;
      serveScpSource(channel, file, {
        user,
        store,
        read: async (name) => (name === 'server.pem' ? serverCertificate(store) : undefined),
      });
      return true;
    },
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
      store.flush();
    },
  };
}

/** The appliance's NTLS service port (Luna clients: 1792), as far as a connection test sees it:
 * it accepts TCP connections (NTLS itself, TLS with client certificates, is not simulated), and
 * drops them while the appliance reboots. */
async function startNtlsPort(
  port: number | undefined,
  down: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
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
