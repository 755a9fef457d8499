import { z } from 'zod';
import type { PlanInput } from '../plan';
import { approvalGate, BoolParam, check, device, GateParams, planFrame } from './common';
import { HostName, LunaName } from '../operation-args';
import type { PlanContext } from './types';

export const HsmInitParamsSchema = z
  .object({
    ...GateParams,
    label: LunaName,
    syslogHost: HostName.optional(),
    syslogPort: z.coerce.number().int().min(1).max(65535).default(514),
    syslogProtocol: z.enum(['udp', 'tcp']).default('udp'),
    /** `code=value` pairs, e.g. `12=0,15=1` */
    policies: z
      .string()
      .regex(/^\d{1,2}=[01](,\d{1,2}=[01])*$/, 'expected policy settings such as "12=0,15=1"')
      .optional(),
    /** Re-initialise an initialised HSM: zeroizes it first, behind a second gate. */
    reinit: BoolParam,
  })
  .strict();

/** First initialisation of an Azure Dedicated HSM: tenantadmin's first login (new password to
 * the secret store), hsm init, policies, syslog, verified with hsm show. */
export function buildHsmInitPlan({ request, inventory }: PlanContext): PlanInput {
  const p = HsmInitParamsSchema.parse(request.params);
  const policies = (p.policies ?? '').split(',').filter(Boolean).map((pair) => pair.split('=').map(Number) as [number, number]);
  return {
    ...planFrame(request, inventory, `Initialise ${request.hsm} as ${p.label}${p.reinit ? ' (re-initialisation)' : ''}`),
    steps: [
      ...approvalGate(inventory, request, p, 'approve', `Approve initialising ${request.hsm}`),
      // nothing runs on a fresh Azure unit before tenantadmin's forced password change
      device(request, 'first-login', 'First login as tenantadmin: change the factory password (new one kept in the secret store)', 'hsm.changeInitialPassword', { user: 'tenantadmin' }),
      ...(p.reinit
        ? [
            ...approvalGate(inventory, request, p, 'approve-reinit', `Approve ERASING ${request.hsm} (re-initialisation)`),
            device(request, 'zeroize', 'Zeroize the HSM before re-initialising it', 'hsm.zeroize', {}),
          ]
        : [check('check-zeroized', 'The HSM is a fresh (zeroized) unit', 'hsm.checkZeroized', {})]),
      device(request, 'init', `Initialise the HSM with label ${p.label}`, 'hsm.init', { label: p.label }),
      ...policies.map(([policy, value]) => device(request, `policy-${policy}`, `Set HSM policy ${policy} to ${value}`, 'hsm.setPolicy', { policy, value })),
      ...(p.syslogHost
        ? [device(request, 'syslog', `Send logs to ${p.syslogHost}:${p.syslogPort}/${p.syslogProtocol}`, 'hsm.configureSyslog', { host: p.syslogHost, port: p.syslogPort, protocol: p.syslogProtocol })]
        : []),
      check('verify', `hsm show reports label ${p.label}, not zeroized`, 'hsm.verify', { label: p.label, zeroized: false }),
    ],
  };
}
