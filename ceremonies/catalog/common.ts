import { z } from 'zod';
import { DurationSchema, SlugSchema } from '../identifiers';
import { LunaName } from '../operation-args';
import { approverGroup, effectiveRule, hsmEntry, type Inventory } from '../inventory';
import { withoutRequester } from '../rules';
import { OPERATION_KINDS, operationKind, type OperationArgsInput, type OperationName } from '../operations';
import type { PlanInput } from '../plan';
import { own } from '../own';
import type { CeremonyRequest } from '../request';
import { ValidationError } from '../validation';

type StepInput = PlanInput['steps'][number];

/** Parameters every gated ceremony accepts. Without `group` and `quorum`, the gate asks what the
 * worker's policy asks for this HSM: each group it names, with its largest quorum. */
export const GateParams = {
  group: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(SlugSchema).min(1, 'expected an approver group, or a comma-separated list of them'))
    .optional()
    .describe(
      "the approver group of the gate, or a comma list (a gate per group); default: each group the worker's policy names for this HSM",
    ),
  quorum: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .optional()
    .describe(
      "approvals needed from each group; default: the policy's (a request below it is refused, naming the minimum)",
    ),
  deadline: DurationSchema.default('72h').describe('how long a gate stays open; past it the ceremony ends `expired`'),
  remindEvery: DurationSchema.default('24h').describe('how often those who have not decided are reminded'),
};

type GateParamValues = { group?: string[]; quorum?: number; deadline: string; remindEvery: string };

export const BoolParam = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
export const ListParam = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(LunaName).min(1, 'expected a comma-separated list of partition names'));

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
export function approvalGate(
  inventory: Inventory,
  request: CeremonyRequest,
  params: GateParamValues,
  id: string,
  title: string,
): StepInput[] {
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
      approvers: withoutRequester(request.requester, group.members),
      quorum,
      deadline: params.deadline,
      remindEvery: params.remindEvery,
    };
  });
}

type OperationStepInput = Extract<StepInput, { type: 'device' | 'api' | 'check' }>;
/** What a plan may set on an operation step besides its operation and arguments. */
type StepExtras = Partial<
  Pick<
    OperationStepInput,
    'timeout' | 'heartbeatTimeout' | 'maxAttempts' | 'requires' | 'escalate' | 'completeIfPresent'
  >
> & {
  /** A step may be irreversible although its operation is not (a rehearsal's stand-in). */
  irreversible?: true;
  /** Checks only: checked before any gate; when it does not hold the ceremony ends `refused`. */
  precheck?: true;
};

/** An operation step: its arguments typed by the catalogue, irreversible when its kind is. */
function operation<N extends OperationName>(
  frame: { id: string; type: 'device' | 'api' | 'check'; title: string; hsm?: string },
  op: N,
  args: OperationArgsInput<N>,
  extra: StepExtras,
): StepInput {
  // the catalogue's types allow optional (absent) arguments; a plan's values are plain
  const planArgs = args as Record<string, string | number | boolean>;
  return {
    ...frame,
    op,
    args: planArgs,
    ...extra,
    irreversible: extra.irreversible ?? operationKind(op) === 'irreversible',
  } as StepInput;
}

/** An operation on the ceremony's appliance. */
export function device<N extends OperationName>(
  request: CeremonyRequest,
  id: string,
  title: string,
  op: N,
  args: OperationArgsInput<N>,
  extra: StepExtras = {},
): StepInput {
  return operation({ id, type: 'device', title, hsm: request.hsm }, op, args, extra);
}

/** A precondition (it may read the appliance or its backup path; it changes nothing). */
export function check<N extends OperationName>(
  id: string,
  title: string,
  op: N,
  args: OperationArgsInput<N>,
  extra: StepExtras = {},
): StepInput {
  return operation({ id, type: 'check', title }, op, args, extra);
}

/** A call to an external API on the ceremony's behalf (Azure ARM). */
export function api<N extends OperationName>(
  id: string,
  title: string,
  op: N,
  args: OperationArgsInput<N>,
  extra: StepExtras = {},
): StepInput {
  return operation({ id, type: 'api', title }, op, args, extra);
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

/** How the HSM is zeroized, for the approvers: the worker picks the method from the inventory's
 * `platform` (activities/ops/luna.ts `hsm.zeroize`), and the plan says which it will be. */
export function zeroizeMethod(inventory: Inventory, hsm: string): string {
  return own(inventory.hsms, hsm)?.platform === 'luna-network-hsm'
    ? 'hsm zeroize'
    : "three deliberately failed HSM SO logins, Azure Dedicated HSM's documented method (hsm zeroize is not exposed there)";
}
