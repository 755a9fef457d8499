import { z } from 'zod';
import { hsmEntry } from '../inventory';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { api, approvalGate, check, device, GateParams, planFrame, requireInventory, zeroizeMethod } from './common';
import { haExclusionPrecheck, haLeaveGate, haMembership } from './ha';
import type { PlanContext } from './types';

export const ZeroizeDeprovisionParamsSchema = z
  .object({
    ...GateParams,
    maxBackupAgeDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe('every partition must have a complete backup newer than this'),
    /** Why no recent backup is needed; a waiver needs its own gate. */
    waiver: z
      .string()
      .trim()
      .min(10, 'a waiver needs a reason of at least 10 characters')
      .max(500)
      .optional()
      .describe('instead of the backup check: a reason (10–500 characters), behind a gate of its own'),
    /** How many of the latest entries of each log are kept as evidence before the zeroize. */
    logEntries: z.coerce
      .number()
      .int()
      .min(1)
      .max(2000)
      .default(500)
      .describe('how many of the latest entries of each log are kept as evidence before the zeroize'),
  })
  .strict();

/** Check that the Azure resource is this appliance, keep its logs, zeroize, verify, and only then
 * delete the Azure resource: the plan makes the zeroize require the identity check and the kept
 * logs, the delete a verified zeroize, and the workflow enforces both whatever the order. On a
 * member of an HA group, a precheck refuses it while another maintenance ceremony holds a member
 * of the group, and the owners acknowledge the member out of the group for good before the
 * zeroize (docs/ha-maintenance.md). */
export function buildZeroizeDeprovisionPlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = ZeroizeDeprovisionParamsSchema.parse(request.params);
  const hsm = hsmEntry(inventory, request.hsm);
  const resourceId = requireInventory(
    hsm.azureResourceId,
    `hsms.${request.hsm}.azureResourceId`,
    'to deprovision the HSM',
  );
  const serial = requireInventory(
    hsm.serial,
    `hsms.${request.hsm}.serial`,
    '(the serial hsm show reports; ARM does not expose it) to check that the Azure resource is this appliance',
  );
  const auditLogs = own(hsm.credentials, 'audit') !== undefined;
  return {
    ...planFrame(request, inventory, `Zeroize and deprovision ${request.hsm}`),
    steps: [
      ...haExclusionPrecheck(context),
      ...(p.waiver
        ? approvalGate(inventory, request, p, 'approve-waiver', `Waive the recent-backup precondition: ${p.waiver}`)
        : [
            check(
              'recent-backup',
              `Every partition has a verified backup newer than ${p.maxBackupAgeDays} days`,
              'backup.recent',
              { maxAgeDays: p.maxBackupAgeDays },
            ),
          ]),
      ...approvalGate(
        inventory,
        request,
        p,
        'approve',
        `Approve zeroizing and deprovisioning ${request.hsm} (serial ${serial})`,
      ),
      // an HA member: its group's owners take it out for good (it is not put back)
      ...haLeaveGate(context, p, true),
      check(
        'identity',
        `The Azure resource is appliance serial ${serial}: its private IP is the address the worker reaches`,
        'azure.matchesAppliance',
        { resourceId, serial },
      ),
      device(
        request,
        'evidence',
        `Keep the last ${p.logEntries} entries of the appliance logs as evidence${auditLogs ? ', with the HSM audit log' : ' (no audit credential in the inventory: the HSM audit log is NOT exported)'}`,
        'hsm.exportLogs',
        { entries: p.logEntries, auditLogs },
      ),
      device(
        request,
        'zeroize',
        `Zeroize the HSM by ${zeroizeMethod(inventory, request.hsm)}: all key material is destroyed`,
        'hsm.zeroize',
        {},
        { requires: ['identity', 'evidence', ...(haMembership(context) ? ['ha-leave'] : [])] },
      ),
      check(
        'verify-zeroized',
        'hsm show reports the HSM zeroized',
        'hsm.verify',
        { zeroized: true },
        { requires: ['zeroize'] },
      ),
      api(
        'deprovision',
        `Delete the Dedicated HSM resource in Azure (appliance serial ${serial})`,
        'azure.deleteDedicatedHsm',
        { resourceId, serial },
        { requires: ['zeroize', 'verify-zeroized'], timeout: '30m' },
      ),
    ],
  };
}
