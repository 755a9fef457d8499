#!/usr/bin/env node
import { describeIssues } from '../ceremonies/validation';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { applianceStore, finishReboot } from './appliance-server';
import { FaultFile, FaultsSchema } from './faults';
import { startLocalFleet } from './local-fleet';
import { loadConfig } from '../runtime/config';

const config = loadConfig();
const dataDir = resolve(config.CEREMONY_DATA_DIR);
const simDir = (name: string) => join(dataDir, 'sim', name);

const program = new Command('sim')
  .description(
    'Simulated Luna Network HSM 7 appliances and an on-prem backup device, over real SSH (state under .data/sim/).',
  )
  .showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('start one appliance per HSM of the inventory, and the backup device; Ctrl-C stops them')
  .option('--inventory <file>', 'sample inventory (names, ports, groups)', config.CEREMONY_SAMPLE_INVENTORY)
  .action(async (opts: { inventory: string }) => {
    const fleet = await startLocalFleet(opts.inventory, dataDir);
    for (const a of fleet.appliances)
      console.log(
        `appliance ${a.name.padEnd(14)} 127.0.0.1:${a.port}  ${a.fingerprint}  (tenantadmin default password: PASSWORD)`,
      );
    console.log(
      `backup    ${fleet.backup.name.padEnd(14)} 127.0.0.1:${fleet.backup.port}  ${fleet.backup.fingerprint}`,
    );
    console.log(
      `azure ARM       ${fleet.arm.endpoint}  (Microsoft.HardwareSecurityModules stand-in; worker env in ${fleet.azureEnvPath})`,
    );
    console.log(`worker inventory: ${fleet.inventoryPath}`);
    const stop = async () => {
      await fleet.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

program
  .command('power-cycle <appliance>')
  .description(
    "the operator's physical reboot of a hung appliance: it comes back (running any appliance software installed before it)",
  )
  .action((name: string) => {
    const store = applianceStore(simDir(name));
    if (!store.read().reboot) console.log(`${name} was not rebooting; power-cycled anyway`);
    finishReboot(store);
    const back = store.read();
    console.log(`${name} is back: appliance software ${back.softwareVersion}, firmware ${back.firmware}`);
  });

program
  .command('fault <device> [json]')
  .description(
    'show or set a device\'s faults, e.g. \'{"rebootHangs":true}\', \'{"unreachable":true}\', \'{"latencyMs":200}\', \'{"dropConnection":[{"match":"hsm zeroize","applied":true,"times":1}]}\'; \'{}\' clears them',
  )
  .action((name: string, json?: string) => {
    const faults = new FaultFile(join(simDir(name), 'faults.json'));
    if (json !== undefined) {
      const parsed = FaultsSchema.safeParse(JSON.parse(json));
      if (!parsed.success) throw new Error(describeIssues(parsed.error).join('; '));
      faults.write(parsed.data);
    }
    console.log(JSON.stringify(faults.read(), null, 2));
  });

program
  .command('objects <appliance> <partition> <count>')
  .description('set how many key objects a simulated partition holds (what a backup must match)')
  .action((name: string, partition: string, count: string) => {
    applianceStore(simDir(name)).update((s) => {
      const p = s.partitions.find((x) => x.name === partition);
      if (!p) throw new Error(`${name} has no partition ${partition}`);
      p.objects = Number.parseInt(count, 10);
    });
    console.log(`${name}/${partition}: ${count} objects`);
  });

program
  .command('show <appliance>')
  .description("print an appliance's state file (without passwords) and its last commands")
  .action((name: string) => {
    const s = applianceStore(simDir(name)).read();
    const users = Object.fromEntries(
      Object.entries(s.users).map(([u, v]) => [u, { role: v.role, mustChangePassword: v.mustChangePassword }]),
    );
    console.log(
      JSON.stringify(
        { ...s, users, hsmSoPassword: s.hsmSoPassword ? '(set)' : null, audit: s.audit.slice(-20) },
        null,
        2,
      ),
    );
  });

program.parseAsync().catch((err: Error) => {
  console.error(`sim: ${err.message}`);
  process.exit(1);
});
