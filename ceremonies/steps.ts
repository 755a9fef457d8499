import type { GateStep, OperationStep, Step } from './plan';

// What kind of step a step is. No zod here: the workflow asks too.

export function isGate(step: Step): step is GateStep {
  return step.type === 'approval' || step.type === 'signoff';
}

export function isOperation(step: Step): step is OperationStep {
  return step.type === 'device' || step.type === 'api' || step.type === 'check';
}
