// A process of simulated appliances for the fleet bench, so that they do not share the bench's
// (or each other's) event loop: `node dist/bench/device-fleet-main.js '<json>'` with
// {"dir", "names": [...], "latencyMs"} starts one appliance per name (state in memory,
// initialised as a bench needs it, each command `latencyMs` late), prints
// {"appliances": [{name, port, ntlsPort, fingerprint}]} as one line on stdout, and stops on SIGTERM.
import { join } from 'node:path';
import { z } from 'zod';
import { startAppliance, type RunningAppliance } from '../simulator/appliance-server';
import { initialiseForBench } from './fleet-support';

export const DeviceFleetRequest = z.object({
  dir: z.string(),
  names: z.array(z.string()).min(1),
  latencyMs: z.number().int().min(0),
});
export type DeviceFleetRequest = z.infer<typeof DeviceFleetRequest>;

async function main(): Promise<void> {
  const request = DeviceFleetRequest.parse(JSON.parse(process.argv[2] ?? ''));
  const appliances: RunningAppliance[] = [];
  for (const name of request.names) {
    const appliance = await startAppliance({ name, dir: join(request.dir, name), stateInMemory: true });
    initialiseForBench(appliance, ['payments']);
    appliance.faults.write({ latencyMs: request.latencyMs });
    appliances.push(appliance);
  }
  process.once('SIGTERM', () => {
    void Promise.all(appliances.map((a) => a.close())).finally(() => process.exit(0));
  });
  process.stdout.write(
    `${JSON.stringify({ appliances: appliances.map(({ name, port, ntlsPort, fingerprint }) => ({ name, port, ntlsPort, fingerprint })) })}\n`,
  );
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`device fleet: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
