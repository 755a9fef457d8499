import { z } from 'zod';
import { DurationSchema } from '../duration';
import { approverGroup, hsmEntry, type Inventory } from '../inventory';
import type { PlanInput } from '../plan';
import type { CeremonyRequest } from '../request';
import { ValidationError } from '../validation';

type StepInput = PlanInput['steps'][number];

/** Parameters every gated ceremony accepts. */
export const GateParams = {
  group: z.string().default('security-officers'),
  quorum: z.coerce.number().int().min(1).default(2),
  deadline: DurationSchema.default('72h'),
  remindEvery: DurationSchema.default('24h'),
};

export const LunaNameParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected 1-32 letters, digits, "_", "." or "-"');
export const HostParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'expected a host name or IPv4 address');
export const BoolParam = z.enum(['true', 'false']).default('false').transform((v) => v === 'true');
export const ListParam = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(LunaNameParam).min(1, 'expected a comma-separated list of partition names'));

/** M of N from a group of the inventory; the requester is never among the approvers. */
export function approvalGate(
  inventory: Inventory,
  request: CeremonyRequest,
  params: { group: string; quorum: number; deadline: string; remindEvery: string },
  id: string,
  title: string,
): StepInput {
  const group = approverGroup(inventory, params.group);
  return {
    id,
    type: 'approval',
    title,
    group: params.group,
    approvers: group.members.filter((m) => m !== request.requester),
    quorum: params.quorum,
    deadline: params.deadline,
    remindEvery: params.remindEvery,
  };
}

type Args = Record<string, string | number | boolean>;

/** An operation on the ceremony's appliance. */
export function device(request: CeremonyRequest, id: string, title: string, op: string, args: Args = {}, extra: Record<string, unknown> = {}): StepInput {
  return { id, type: 'device', title, hsm: request.hsm, op, args, ...extra } as StepInput;
}

/** A precondition (it may read the appliance or its backup path; it changes nothing). */
export function check(id: string, title: string, op: string, args: Args = {}, extra: Record<string, unknown> = {}): StepInput {
  return { id, type: 'check', title, op, args, ...extra } as StepInput;
}

/** The plan's frame: who, what, where. */
export function planFrame(request: CeremonyRequest, inventory: Inventory, title: string): Omit<PlanInput, 'steps'> {
  hsmEntry(inventory, request.hsm);
  return {
    version: 1,
    kind: request.kind,
    title,
    requester: request.requester,
    ticket: request.ticket,
    hsm: request.hsm,
    operators: inventory.operators,
    params: request.params,
  };
}

export function requireInventory<T>(value: T | undefined, field: string, why: string): T {
  if (value === undefined) throw new ValidationError('inventory', [`${field}: required ${why}`]);
  return value;
}
