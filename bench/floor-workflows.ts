// Temporal's floor: the least a workflow of device steps could cost on the same server. Trivial
// workflows whose steps are trivial activities (a sleep of the device latency, no SSH, no parse,
// no policy, no evidence). Bundled on their own by bench/floor.ts, never by the product's bundle.
import { condition, defineSignal, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './floor-activities';

const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export const releaseSignal = defineSignal('release');

/** `steps` trivial steps one after another; each one's start (the worker's clock). */
export async function floorSteps(steps: number, latencyMs: number, asLocal: boolean): Promise<number[]> {
  const run = asLocal ? local : remote;
  const started: number[] = [];
  for (let i = 0; i < steps; i++) started.push((await run.floorStep(latencyMs))[0]);
  return started;
}

/** Shaped like a gated ceremony: waits for its release, then `steps` trivial steps (the first an
 * activity, the rest local activities, as the ceremony's read-only steps after a gate); each one's end. */
export async function floorCeremony(steps: number, latencyMs: number): Promise<number[]> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  await condition(() => released);
  const ended: number[] = [];
  for (let i = 0; i < steps; i++) ended.push((await (i === 0 ? remote : local).floorStep(latencyMs))[1]);
  return ended;
}
