import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DeviceFleetRequest } from './device-fleet-main';
import type { ApplianceAddress } from './fleet-support';

const READY_TIMEOUT_MS = 120_000;

/** Start the named appliances in `processes` child processes (`device-fleet-main.js`), the names
 * dealt round-robin; resolves with where each listens once all of them are up. */
export interface DeviceFleet {
  appliances: ApplianceAddress[];
  pids: number[];
  close(): Promise<void>;
}

export async function startDeviceFleet(
  dir: string,
  names: string[],
  processes: number,
  latencyMs: number,
): Promise<DeviceFleet> {
  const children: ChildProcess[] = [];
  const close = () => Promise.all(children.map(stop)).then(() => undefined);
  try {
    const started = await Promise.all(
      Array.from({ length: processes }, (_, p) => {
        const request: DeviceFleetRequest = { dir, names: names.filter((_, i) => i % processes === p), latencyMs };
        const child = spawn(process.execPath, [join(__dirname, 'device-fleet-main.js'), JSON.stringify(request)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(child);
        return firstLine(child);
      }),
    );
    const byName = new Map(
      started
        .flatMap((line) => (JSON.parse(line) as { appliances: ApplianceAddress[] }).appliances)
        .map((a) => [a.name, a]),
    );
    return { appliances: names.map((n) => byName.get(n)!), pids: children.map((c) => c.pid!), close };
  } catch (err) {
    await close();
    throw err;
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`device process ${child.pid} did not start its appliances within ${READY_TIMEOUT_MS / 1000} s`),
        ),
      READY_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`device process ${child.pid} exited (${code}) before its appliances were up`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
