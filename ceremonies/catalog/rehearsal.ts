import { z } from 'zod';
import { DurationSchema } from '../duration';
import { approverGroup } from '../inventory';
import type { PlanInput } from '../plan';
import type { PlanContext } from './types';

/** A dry run of the ceremony machinery: a real approval gate and steps that write to the local
 * effect ledger instead of touching an appliance. Used to rehearse the approvers and operators. */
export const RehearsalParamsSchema = z
  .object({
    group: z.string().default('security-officers'),
    quorum: z.coerce.number().int().min(1).default(2),
    deadline: DurationSchema.default('72h'),
    remindEvery: DurationSchema.default('24h'),
  })
  .strict();

export function buildRehearsalPlan({ request, inventory }: PlanContext): PlanInput {
  const params = RehearsalParamsSchema.parse(request.params);
  const group = approverGroup(inventory, params.group);
  return {
    version: 1,
    kind: 'rehearsal',
    title: `Rehearsal on ${request.hsm} for ${request.ticket}`,
    requester: request.requester,
    ticket: request.ticket,
    hsm: request.hsm,
    operators: inventory.operators,
    params: request.params,
    steps: [
      {
        id: 'approve',
        type: 'approval',
        title: `Quorum of ${params.quorum} from ${params.group} approves the rehearsal`,
        group: params.group,
        approvers: group.members.filter((m) => m !== request.requester),
        quorum: params.quorum,
        deadline: params.deadline,
        remindEvery: params.remindEvery,
      },
      { id: 'prepare', type: 'device', title: 'Record the preparation effect', hsm: request.hsm, op: 'ledger.record', args: { key: 'prepare' } },
      { id: 'settle', type: 'wait', title: 'Let the stand-in device settle', duration: '1s' },
      {
        id: 'commit',
        type: 'device',
        title: 'Record the irreversible effect',
        hsm: request.hsm,
        op: 'ledger.record',
        args: { key: 'commit' },
        irreversible: true,
      },
    ],
  };
}
