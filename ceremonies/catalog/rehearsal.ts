import { z } from 'zod';
import type { PlanInput } from '../plan';
import { approvalGate, device, GateParams, planFrame } from './common';
import type { PlanContext } from './types';

/** A dry run of the ceremony machinery: a real approval gate and steps that write to the local
 * effect ledger instead of touching an appliance. Used to rehearse the approvers and operators. */
export const RehearsalParamsSchema = z.object({ ...GateParams }).strict();

export function buildRehearsalPlan({ request, inventory }: PlanContext): PlanInput {
  const params = RehearsalParamsSchema.parse(request.params);
  return {
    ...planFrame(request, inventory, `Rehearsal on ${request.hsm} for ${request.ticket}`),
    steps: [
      ...approvalGate(inventory, request, params, 'approve', 'Approve the rehearsal'),
      device(request, 'prepare', 'Record the preparation effect', 'ledger.record', { key: 'prepare' }),
      { id: 'settle', type: 'wait', title: 'Let the stand-in device settle', duration: '1s' },
      device(
        request,
        'commit',
        'Record the irreversible effect',
        'ledger.record',
        { key: 'commit' },
        { irreversible: true },
      ),
    ],
  };
}
