import { DURATION_PATTERN } from '../ceremonies/duration';

// The workflow reads its plan before the worker has checked it (that is the first activity,
// `checkPolicy`, with the full schema): enough of a shape check that reading it cannot throw.

const STEP_FIELDS: Record<string, Record<string, 'string' | 'number' | 'boolean' | 'object' | 'array' | 'duration'>> = {
  approval: { group: 'string', approvers: 'array', quorum: 'number', deadline: 'duration' },
  signoff: { signer: 'string', contacts: 'array', deadline: 'duration' },
  device: {
    hsm: 'string',
    op: 'string',
    args: 'object',
    timeout: 'duration',
    heartbeatTimeout: 'duration',
    maxAttempts: 'number',
    requires: 'array',
  },
  api: {
    op: 'string',
    args: 'object',
    timeout: 'duration',
    heartbeatTimeout: 'duration',
    maxAttempts: 'number',
    requires: 'array',
  },
  check: {
    op: 'string',
    args: 'object',
    timeout: 'duration',
    heartbeatTimeout: 'duration',
    maxAttempts: 'number',
    requires: 'array',
  },
  wait: { duration: 'duration' },
  ceremony: { plan: 'object' },
};

function isKind(value: unknown, kind: string): boolean {
  if (kind === 'array') return Array.isArray(value);
  if (kind === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (kind === 'duration') return typeof value === 'string' && DURATION_PATTERN.test(value);
  return typeof value === kind;
}

/** Why `value` cannot be read as a plan, or undefined. */
export function planShapeProblem(value: unknown): string | undefined {
  if (!isKind(value, 'object')) return 'the plan is not an object';
  const plan = value as Record<string, unknown>;
  if (plan.version !== 1) return 'the plan is not version 1';
  for (const field of ['kind', 'title', 'requester', 'ticket', 'hsm'])
    if (typeof plan[field] !== 'string') return `the plan has no ${field}`;
  if (!Array.isArray(plan.operators) || !Array.isArray(plan.steps) || plan.steps.length === 0)
    return 'the plan has no operators or no steps';
  for (const [i, step] of (plan.steps as unknown[]).entries()) {
    if (!isKind(step, 'object')) return `steps[${i}] is not an object`;
    const s = step as Record<string, unknown>;
    const fields =
      typeof s.type === 'string' && Object.prototype.hasOwnProperty.call(STEP_FIELDS, s.type)
        ? STEP_FIELDS[s.type]
        : undefined;
    if (!fields || typeof s.id !== 'string' || typeof s.title !== 'string' || typeof s.irreversible !== 'boolean')
      return `steps[${i}] is not a step`;
    for (const [field, kind] of Object.entries(fields))
      if (!isKind(s[field], kind)) return `steps[${i}].${field} is not a ${kind}`;
  }
  return undefined;
}
