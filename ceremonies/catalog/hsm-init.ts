import { z } from 'zod';
import { hsmEntry } from '../inventory';
import { HSM_POLICY_CODES, hsmPolicy } from '../hsm-policies';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { ValidationError } from '../validation';
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
    /** Initialise with Thales' default cloning domain (deprecated, insecure) when the inventory has
     * no `hsmDomain` secret: only when asked for, and said so to the approvers. */
    defaultDomain: BoolParam,
    /** How far the appliance's clock may be from the worker's before `hsm init`. */
    maxClockSkewSeconds: z.coerce.number().int().min(1).max(3600).default(60),
  })
  .strict();

const DEFAULT_DOMAIN_WARNING = 'WARNING: the DEFAULT cloning domain (-defaultdomain, insecure)';

/** The cloning domain comes from the inventory's `hsmDomain` secret, or, when asked for and there
 * is none, Thales' default domain: never silently. */
function cloningDomain(context: PlanContext, defaultDomain: boolean): { defaultDomain: boolean; words: string } {
  const { request, inventory } = context;
  const hasDomain = own(hsmEntry(inventory, request.hsm).credentials, 'hsmDomain') !== undefined;
  if (hasDomain && defaultDomain) {
    throw new ValidationError('request', [`params.defaultDomain: hsms.${request.hsm}.credentials.hsmDomain holds a cloning domain; defaultDomain=true would ignore it`]);
  }
  if (!hasDomain && !defaultDomain) {
    throw new ValidationError('request', [
      `hsms.${request.hsm}.credentials.hsmDomain: required to initialise with a cloning domain; or request defaultDomain=true (the default domain, which Thales deprecates as insecure)`,
    ]);
  }
  return hasDomain ? { defaultDomain: false, words: 'the cloning domain from the secret store' } : { defaultDomain: true, words: DEFAULT_DOMAIN_WARNING };
}

function policySettings(text: string | undefined) {
  return (text ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [code, value] = pair.split('=').map(Number);
      const policy = hsmPolicy(code);
      if (!policy) throw new ValidationError('request', [`params.policies: ${code} is not an HSM policy the documentation lists (${HSM_POLICY_CODES})`]);
      return { policy, value };
    });
}

/** First initialisation of an Azure Dedicated HSM: tenantadmin's first login (new password to
 * the secret store), the clock checked, hsm init, policies, syslog, verified with hsm show. */
export function buildHsmInitPlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = HsmInitParamsSchema.parse(request.params);
  const domain = cloningDomain(context, p.defaultDomain);
  const policies = policySettings(p.policies);
  const destructive = policies.filter((s) => s.policy.destructive);
  // short enough for a gate title whatever the names: the steps below give the details
  const warnings = [...(domain.defaultDomain ? ['WARNING: DEFAULT cloning domain'] : []), ...(destructive.length ? ['irreversible destructive policy change'] : [])];
  const gateTitle = `Approve initialising ${request.hsm}${warnings.length ? ` (${warnings.join('; ')})` : ''}`;
  return {
    ...planFrame(request, inventory, `Initialise ${request.hsm} as ${p.label}${p.reinit ? ' (re-initialisation)' : ''}${domain.defaultDomain ? ' with the DEFAULT cloning domain' : ''}`),
    steps: [
      ...approvalGate(inventory, request, p, 'approve', gateTitle),
      // nothing runs on a fresh Azure unit before tenantadmin's forced password change
      device(request, 'first-login', 'First login as tenantadmin: change the factory password (new one kept in the secret store)', 'hsm.changeInitialPassword', { user: 'tenantadmin' }),
      // Thales: initialise only once the time (and NTP) is set, so the audit log is accurate;
      // checked before anything is erased
      check('check-time', `The appliance clock is within ${p.maxClockSkewSeconds} s of the worker's, and synchronised where NTP is enabled`, 'hsm.checkTime', { maxSkewSeconds: p.maxClockSkewSeconds }),
      ...(p.reinit
        ? [
            ...approvalGate(inventory, request, p, 'approve-reinit', `Approve ERASING ${request.hsm} (re-initialisation)`),
            device(request, 'zeroize', 'Zeroize the HSM before re-initialising it', 'hsm.zeroize', {}),
          ]
        : [check('check-zeroized', 'The HSM is a fresh (zeroized) unit', 'hsm.checkZeroized', {})]),
      device(request, 'init', `Initialise the HSM with label ${p.label} and ${domain.words}`, 'hsm.init', { label: p.label, defaultDomain: domain.defaultDomain }),
      ...policies.map(({ policy, value }) =>
        policy.destructive
          ? device(request, `policy-${policy.code}`, `Set destructive HSM policy ${policy.code} (${policy.name}) to ${value}: erases every partition`, 'hsm.changeDestructivePolicy', { policy: policy.code, value })
          : device(request, `policy-${policy.code}`, `Set HSM policy ${policy.code} (${policy.name}) to ${value}`, 'hsm.setPolicy', { policy: policy.code, value }),
      ),
      ...(p.syslogHost
        ? [device(request, 'syslog', `Send logs to ${p.syslogHost}:${p.syslogPort}/${p.syslogProtocol}`, 'hsm.configureSyslog', { host: p.syslogHost, port: p.syslogPort, protocol: p.syslogProtocol })]
        : []),
      check('verify', `hsm show reports label ${p.label}, not zeroized`, 'hsm.verify', { label: p.label, zeroized: false }),
    ],
  };
}
