import type { Step } from '../../ceremonies/plan';
import { isGate, isOperation } from '../../ceremonies/steps';
import type { Phase } from '../messages';
import type { CeremonyRun } from '../run';
import { runChild } from './child';
import { runGate } from './gate';
import { runOperation } from './operation';
import { runWait } from './wait';

/** Run one step; a phase when the ceremony ends with it, undefined to go on. */
export function runStep(run: CeremonyRun, step: Step): Promise<Phase | undefined> {
  if (isGate(step)) return runGate(run, step);
  if (isOperation(step)) return runOperation(run, step);
  if (step.type === 'ceremony') return runChild(run, step);
  return runWait(run, step);
}
