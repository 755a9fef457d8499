import { z } from 'zod';
import { hsmEntry } from '../inventory';
import type { PlanInput } from '../plan';
import { api, approvalGate, check, device, GateParams, planFrame, requireInventory } from './common';
import type { PlanContext } from './types';

export const ZeroizeDeprovisionParamsSchema = z
  .object({
    ...GateParams,
    maxBackupAgeDays: z.coerce.number().int().min(1).max(365).default(7),
    /** Why no recent backup is needed; a waiver needs its own gate. */
    waiver: z.string().trim().min(10, 'a waiver needs a reason of at least 10 characters').max(500).optional(),
  })
  .strict();

/** Zeroize, verify, and only then delete the Azure resource: the plan makes the delete require a
 * verified zeroize, and the workflow enforces it whatever the order. */
export function buildZeroizeDeprovisionPlan({ request, inventory }: PlanContext): PlanInput {
  const p = ZeroizeDeprovisionParamsSchema.parse(request.params);
  const resourceId = requireInventory(hsmEntry(inventory, request.hsm).azureResourceId, `hsms.${request.hsm}.azureResourceId`, 'to deprovision the HSM');
  return {
    ...planFrame(request, inventory, `Zeroize and deprovision ${request.hsm}`),
    steps: [
      ...(p.waiver
        ? approvalGate(inventory, request, p, 'approve-waiver', `Waive the recent-backup precondition: ${p.waiver}`)
        : [check('recent-backup', `Every partition has a verified backup newer than ${p.maxBackupAgeDays} days`, 'backup.recent', { maxAgeDays: p.maxBackupAgeDays })]),
      ...approvalGate(inventory, request, p, 'approve', `Approve zeroizing and deprovisioning ${request.hsm}`),
      device(request, 'zeroize', 'Zeroize the HSM (all key material is destroyed)', 'hsm.zeroize', {}),
      check('verify-zeroized', 'hsm show reports the HSM zeroized', 'hsm.verify', { zeroized: true }, { requires: ['zeroize'] }),
      api('deprovision', 'Delete the Dedicated HSM resource in Azure', 'azure.deleteDedicatedHsm', { resourceId }, { requires: ['zeroize', 'verify-zeroized'], timeout: '30m' }),
    ],
  };
}
