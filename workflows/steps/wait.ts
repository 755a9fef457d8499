import { sleep } from '@temporalio/workflow';
import { durationMs } from '../../ceremonies/duration';
import type { WaitStep } from '../../ceremonies/plan';
import type { CeremonyRun } from '../run';

/** A durable pause. */
export async function runWait(run: CeremonyRun, step: WaitStep): Promise<undefined> {
  run.setPhase('waiting');
  run.state.setStep(step.id, 'running');
  await sleep(durationMs(step.duration));
  run.state.setStep(step.id, 'succeeded');
  return undefined;
}
