import { z } from 'zod';
import { DurationSchema } from '../duration';
import { SlugSchema } from '../identifiers';
import { approverGroup, effectiveRule, hsmEntry, type Inventory } from '../inventory';
import { OPERATION_KINDS } from '../operations';
import type { PlanInput } from '../plan';
import type { CeremonyRequest } from '../request';
import { ValidationError } from '../validation';

type StepInput = PlanInput['steps'][number];

/** Parameters every gated ceremony accepts. Without `group` and `quorum`, the gate asks what the
 * worker's policy asks for this HSM: each group it names, with its largest quorum. */
export const GateParams = {
  group: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(SlugSchema).min(1, 'expected an approver group, or a comma-separated list of them'))
    .optional(),
  quorum: z.coerce.number().int().min(1).max(20).optional(),
  deadline: DurationSchema.default('72h'),
  remindEvery: DurationSchema.default('24h'),
};

type GateParamValues = { group?: string[]; quorum?: number; deadline: string; remindEvery: string };

export const LunaNameParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected 1-32 letters, digits, "_", "." or "-"');
export const HostParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'expected a host name or IPv4 address');
export const BoolParam = z.enum(['true', 'false']).default('false').transform((v) => v === 'true');
export const ListParam = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(LunaNameParam).min(1, 'expected a comma-separated list of partition names'));

/** The groups and quorum the policy asks of any step on this HSM (what a gate asks by default). */
function policyDefaults(inventory: Inventory, hsm: string): Map<string, number> {
  const quorums = new Map<string, number>();
  for (const kind of OPERATION_KINDS) {
    const rule = effectiveRule(inventory, hsm, kind);
    for (const group of rule?.groups ?? []) quorums.set(group, Math.max(quorums.get(group) ?? 0, rule!.quorum));
  }
  return quorums;
}

/** An approval gate per group (M of N from each); the requester is never among the approvers.
 * The first gate is `id`, the others `id-<group>`. */
export function approvalGate(inventory: Inventory, request: CeremonyRequest, params: GateParamValues, id: string, title: string): StepInput[] {
  const defaults = policyDefaults(inventory, request.hsm);
  const groups = params.group ?? (defaults.size ? [...defaults.keys()] : ['security-officers']);
  return groups.map((name, i) => {
    const group = approverGroup(inventory, name);
    const quorum = params.quorum ?? defaults.get(name) ?? 2;
    return {
      id: i === 0 ? id : `${id}-${name}`,
      type: 'approval',
      title: `${title} (${quorum} of ${name})`,
      group: name,
      approvers: group.members.filter((m) => m !== request.requester),
      quorum,
      deadline: params.deadline,
      remindEvery: params.remindEvery,
    };
  });
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
