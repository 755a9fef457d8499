// Temporal's floor: the least a workflow of device steps could cost on the same server. Trivial
// workflows whose steps are trivial activities (a sleep of the device latency, no SSH, no parse,
// no policy, no evidence). Bundled on their own by bench/floor.ts, never by the product's bundle.
import { condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './floor-activities';

const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** The release, as the approver's: an Update (the approver waits for its answer). */
export const releaseUpdate = defineUpdate<void>('release');

/** What a gated ceremony asks of Temporal once released (bench/fleet.ts checks it against a
 * recorded ceremony of the same run): `steps` device steps, the first an activity and the rest
 * local activities (its read-only steps after a gate), and the activities that go beside it (mail
 * and ticket comment) at the release and at the end. */
export interface CeremonyShape {
  steps: number;
  besideAtRelease: number;
  besideAtEnd: number;
}

/** `steps` trivial steps one after another; each one's start (the worker's clock). */
export async function floorSteps(steps: number, latencyMs: number, asLocal: boolean): Promise<number[]> {
  const run = asLocal ? local : remote;
  const started: number[] = [];
  for (let i = 0; i < steps; i++) started.push((await run.floorStep(latencyMs))[0]);
  return started;
}

/** Shaped like a gated ceremony: waits for its release (or its gate's deadline), then its steps
 * with trivial activities beside them; each step's end. */
export async function floorCeremony(shape: CeremonyShape, latencyMs: number): Promise<number[]> {
  let released = false;
  setHandler(releaseUpdate, () => {
    released = true;
  });
  if (!(await condition(() => released, '1 hour'))) return [];
  const beside = (count: number) => Array.from({ length: count }, () => remote.floorStep(0));
  const atRelease = beside(shape.besideAtRelease);
  const ended: number[] = [];
  for (let i = 0; i < shape.steps; i++) ended.push((await (i === 0 ? remote : local).floorStep(latencyMs))[1]);
  await Promise.all([...atRelease, ...beside(shape.besideAtEnd)]);
  return ended;
}
