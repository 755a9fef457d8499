import type { FaultFile } from '../../simulator/faults';
import type { StateFile } from '../../simulator/state';
import type { AuditedState } from '../../simulator/lunash/shell';
import type { RunningAppliance } from '../../simulator/appliance-server';
import type { CeremonyStatus } from '../../workflows/messages';
import type { Harness } from './harness';
import { driveGates } from './drive';
import type { WorkerProcess } from '../../worker/process';
import { spawnWorker } from './worker-process';

/** Successful runs of a command in a simulated device's own command log. */
export function executed(store: StateFile<AuditedState>, command: string): number {
  return store.read().audit.filter((a) => a.command.toLowerCase().startsWith(command.toLowerCase()) && a.result === 0)
    .length;
}

/** Make the device hold its reply to `command` (the effect is already applied), so a drill can
 * kill the worker while the step is in flight. */
export function holdReply(faults: FaultFile, command: string, ms = 8000): void {
  const current = faults.read();
  faults.write({ ...current, holdReply: [...current.holdReply, { match: command, ms, times: 1 }] });
}

/** An Azure Dedicated HSM one failed HSM SO login from zeroizing (it refuses `hsm zeroize`, as on
 * Azure; `hsm show`: 1 attempt left), holding its reply to that login so that a drill can kill
 * the worker while it is in flight. `from`: where the appliance's command log stood; `logins()`:
 * the `hsm login` commands it logged since. */
export function holdZeroizingLogin(appliance: RunningAppliance) {
  appliance.state.update((s) => {
    s.zeroizeDisabled = true;
    s.hsmSoLoginAttemptsLeft = 1;
  });
  holdReply(appliance.faults, 'hsm login');
  const from = appliance.state.read().audit.length;
  const logins = () =>
    appliance.state
      .read()
      .audit.slice(from)
      .filter((a) => a.command === 'hsm login');
  return { from, logins };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One real worker process at a time on the harness's task queue; `killAndRestart()` is kill -9 then
 * a fresh worker, as an operator's supervisor would restart it. */
export class WorkerUnderTest {
  private current?: WorkerProcess;

  constructor(private readonly h: Harness) {}

  async start(): Promise<void> {
    this.current = spawnWorker(this.h.config);
    await this.current.ready;
  }

  async killAndRestart(): Promise<void> {
    const dying = this.current!;
    dying.child.kill('SIGKILL');
    await dying.exited;
    await this.start();
  }

  async stop(): Promise<void> {
    if (!this.current) return;
    this.current.child.kill('SIGTERM');
    await this.current.exited;
  }
}

/** Drive a ceremony's gates (as its approvers would) while, at each kill point, the worker is
 * killed -9 the moment the step's effect has reached the device, then restarted. */
export async function runWithKills(
  h: Harness,
  worker: WorkerUnderTest,
  id: string,
  killPoints: { what: string; reached: () => boolean }[],
): Promise<CeremonyStatus> {
  let ended: CeremonyStatus | undefined;
  const driving = driveGates(h.ceremonies, id, { timeoutMs: 120_000 }).then((s) => (ended = s));
  driving.catch(() => {}); // awaited below; a kill point's failure must not leave it unhandled
  for (const point of killPoints) {
    await until(() => {
      if (ended) {
        const failed = ended.steps.find((s) => s.error);
        throw new Error(
          `the ceremony stopped (${ended.phase}${failed ? `: ${failed.id} ${failed.error}` : ''}) before ${point.what}`,
        );
      }
      return point.reached();
    }, point.what);
    await worker.killAndRestart();
  }
  return driving;
}
