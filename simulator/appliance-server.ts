import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applianceFaults, applianceRebooting, applianceShell, applianceStore } from './appliance-shell';
import type { FaultFile } from './faults';
import { scpSinkTarget, serveScpSink } from './scp-sink';
import { startShellServer } from './ssh/shell-server';
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
}

export interface RunningAppliance {
  name: string;
  port: number;
  fingerprint: string;
  state: StateFile<ApplianceState>;
  faults: FaultFile;
  close(): Promise<void>;
}

/** A simulated Luna Network HSM 7 appliance: lunash over real SSH, password login, files in by
 * scp (no SFTP subsystem). */
export async function startAppliance(options: ApplianceOptions): Promise<RunningAppliance> {
  const store = applianceStore(options.dir);
  if (!existsSync(store.path)) store.write(freshApplianceState(options.name, options.serial ?? String(1_200_000 + Math.floor(Math.random() * 99_999))));
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
      if (target === null) return false;
      serveScpSink(channel, target, { user, store, faults, cut });
      return true;
    },
  });

  return { name: options.name, port: server.port, fingerprint: server.fingerprint, state: store, faults, close: server.close };
}
