import { z } from 'zod';
import type { PlanInput } from '../plan';
import { approvalGate, check, device, GateParams, planFrame } from './common';
import { HostName, LunaName } from '../operation-args';
import type { PlanContext } from './types';

export const PartitionCreateParamsSchema = z
  .object({
    ...GateParams,
    partition: LunaName,
    /** The application host (NTLS client) that will use the partition. */
    client: LunaName,
    clientHost: HostName,
    /** Who initialises the partition roles (PO, CO, CU) with LunaCM on the client host. */
    roleOfficer: z.email().optional(),
  })
  .strict();

export function buildPartitionCreatePlan({ request, inventory }: PlanContext): PlanInput {
  const p = PartitionCreateParamsSchema.parse(request.params);
  return {
    ...planFrame(request, inventory, `Create partition ${p.partition} on ${request.hsm} for ${p.client}`),
    steps: [
      check('licence', 'The HSM licence allows one more partition (10 licensed, 100 at most)', 'partition.checkLicence', { adding: 1 }),
      ...approvalGate(inventory, request, p, 'approve', `Approve partition ${p.partition}`),
      device(request, 'create', `Create partition ${p.partition}`, 'partition.create', { partition: p.partition }),
      device(request, 'assign', `Register ${p.client} (${p.clientHost}) and assign it ${p.partition}`, 'partition.assignClient', {
        client: p.client,
        host: p.clientHost,
        partition: p.partition,
      }),
      check('verify', `Partition ${p.partition} is listed`, 'partition.present', { partition: p.partition }),
      {
        id: 'roles',
        type: 'signoff',
        title: `Partition roles (PO, CO, CU) of ${p.partition} initialised with LunaCM on ${p.clientHost}`,
        signer: 'Partition owner',
        contacts: [p.roleOfficer ?? inventory.operators[0]],
        deadline: p.deadline,
        remindEvery: p.remindEvery,
      },
    ],
  };
}
