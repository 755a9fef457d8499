import { z } from 'zod';
import { hsmEntry } from '../inventory';
import { HSM_POLICY_CODES, hsmPolicy } from '../hsm-policies';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { ValidationError } from '../validation';
import { approvalGate, BoolParam, check, device, GateParams, planFrame, zeroizeMethod } from './common';
import { HostName, LunaName } from '../operation-args';
import { NTLS_DEVICES } from '../operations';
import type { PlanContext } from './types';
import { haExclusionPrecheck } from './ha';

export const HsmInitParamsSchema = z
  .object({
    ...GateParams,
    label: LunaName.describe('the HSM label, `hsm init -label <label>`'),
    syslogHost: HostName.optional().describe("the appliance's remote syslog host (`syslog remotehost add`)"),
    syslogPort: z.coerce.number().int().min(1).max(65535).default(514).describe('its port'),
    syslogProtocol: z.enum(['udp', 'tcp']).default('udp').describe('its protocol'),
    /** Where the HSM audit log goes (`audit remotehost add`), separate from the syslog host. */
    auditHost: HostName.optional().describe(
      "the HSM audit log's remote host (`audit remotehost add`), separate from syslog; needs the inventory credentials `audit`, `auditRole` and `auditDomain`",
    ),
    auditPort: z.coerce.number().int().min(1).max(65535).default(514).describe('its port'),
    auditProtocol: z.enum(['udp', 'tcp']).default('udp').describe('its protocol'),
    /** Re-initialise an Audit role whose password the secret store does not hold (units are
     * delivered with one): `audit init` destroys the existing role. */
    auditInit: BoolParam.describe(
      're-initialise an Audit role whose password the secret store does not hold (`audit init` destroys the existing role): only when asked',
    ),
    /** The network device NTLS is bound to (`ntls bind`), after the certificate is regenerated. */
    ntlsDevice: z
      .enum(NTLS_DEVICES)
      .default('eth0')
      .describe('the network device NTLS is bound to (`ntls bind`) after the certificate is regenerated'),
    /** `code=value` pairs, e.g. `12=0,15=1` */
    policies: z
      .string()
      .regex(/^\d{1,2}=[01](,\d{1,2}=[01])*$/, 'expected policy settings such as "12=0,15=1"')
      .optional()
      .describe(
        'HSM policies as `code=value` pairs (`12=0,15=1`), codes as `hsm showPolicies` lists them; a destructive one erases every partition and is an irreversible step the gate names',
      ),
    /** Re-initialise an initialised HSM: zeroizes it first, behind a second gate. */
    reinit: BoolParam.describe('re-initialise an initialised HSM: a second gate and a zeroize first'),
    /** Initialise with Thales' default cloning domain (deprecated, insecure) when the inventory has
     * no `hsmDomain` secret: only when asked for, and said so to the approvers. */
    defaultDomain: BoolParam.describe(
      "initialise with Thales' default cloning domain (`-defaultdomain`, deprecated as insecure) when the inventory has no `hsmDomain` secret; shown as a WARNING in the title, the gate and the step",
    ),
    /** How far the appliance's clock may be from the worker's before `hsm init`. */
    maxClockSkewSeconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe("how far the appliance's clock may be from the worker's before `hsm init`"),
  })
  .strict();

const DEFAULT_DOMAIN_WARNING = 'WARNING: the DEFAULT cloning domain (-defaultdomain, insecure)';

/** The HSM's cloning domain: it belongs to the HSM's administrative partition (Thales, "Initializing
 * the HSM": "the cloning domain of the HSM Admin partition"); each application partition gets its
 * own at `partition init` ("Domain Planning"), and backups answer that one, not this. It comes
 * from the inventory's `hsmDomain` secret, or, when asked for and there is none, Thales' default
 * domain: never silently. */
function cloningDomain(context: PlanContext, defaultDomain: boolean): { defaultDomain: boolean; words: string } {
  const { request, inventory } = context;
  const hasDomain = own(hsmEntry(inventory, request.hsm).credentials, 'hsmDomain') !== undefined;
  if (hasDomain && defaultDomain) {
    throw new ValidationError('request', [
      `params.defaultDomain: hsms.${request.hsm}.credentials.hsmDomain holds a cloning domain; defaultDomain=true would ignore it`,
    ]);
  }
  if (!hasDomain && !defaultDomain) {
    throw new ValidationError('request', [
      `hsms.${request.hsm}.credentials.hsmDomain: required to initialise with a cloning domain; or request defaultDomain=true (the default domain, which Thales deprecates as insecure)`,
    ]);
  }
  return hasDomain
    ? { defaultDomain: false, words: "the HSM's cloning domain from the secret store" }
    : { defaultDomain: true, words: DEFAULT_DOMAIN_WARNING };
}

function policySettings(text: string | undefined) {
  return (text ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [code, value] = pair.split('=').map(Number);
      const policy = hsmPolicy(code);
      if (!policy)
        throw new ValidationError('request', [
          `params.policies: ${code} is not an HSM policy the documentation lists (${HSM_POLICY_CODES})`,
        ]);
      return { policy, value };
    });
}

/** The HSM audit log's remote host needs the appliance audit user and the Audit role's secrets. */
function auditCredentials(context: PlanContext): void {
  const { request, inventory } = context;
  const credentials = hsmEntry(inventory, request.hsm).credentials;
  const missing = ['audit', 'auditRole', 'auditDomain'].filter((name) => own(credentials, name) === undefined);
  if (missing.length) {
    throw new ValidationError(
      'request',
      missing.map(
        (name) =>
          `hsms.${request.hsm}.credentials.${name}: required for params.auditHost (the appliance audit user, the HSM Audit role's password, its audit domain)`,
      ),
    );
  }
}

/** First initialisation of an Azure Dedicated HSM, in the vendors' order (docs/ceremonies/hsm-init.md):
 * tenantadmin's first login (new password to the secret store), the reboot patch checked, the clock
 * checked, hsm init, the NTLS certificate made for the unit, policies, syslog, HSM audit logging,
 * verified with hsm show. */
export function buildHsmInitPlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = HsmInitParamsSchema.parse(request.params);
  const domain = cloningDomain(context, p.defaultDomain);
  const policies = policySettings(p.policies);
  if (p.auditHost) auditCredentials(context);
  const destructive = policies.filter((s) => s.policy.destructive);
  // short enough for a gate title whatever the names: the steps below give the details
  const warnings = [
    ...(domain.defaultDomain ? ['WARNING: DEFAULT cloning domain'] : []),
    ...(destructive.length ? ['irreversible destructive policy change'] : []),
  ];
  const gateTitle = `Approve initialising ${request.hsm}${warnings.length ? ` (${warnings.join('; ')})` : ''}`;
  return {
    ...planFrame(
      request,
      inventory,
      `Initialise ${request.hsm} as ${p.label}${p.reinit ? ' (re-initialisation)' : ''}${domain.defaultDomain ? ' with the DEFAULT cloning domain' : ''}`,
    ),
    steps: [
      // a member of an HA group: not while another maintenance ceremony holds one (docs/ha-maintenance.md)
      ...haExclusionPrecheck(context),
      ...approvalGate(inventory, request, p, 'approve', gateTitle),
      // nothing runs on a fresh Azure unit before tenantadmin's forced password change
      device(
        request,
        'first-login',
        'First login as tenantadmin: change the factory password (new one kept in the secret store)',
        'hsm.changeInitialPassword',
        { user: 'tenantadmin' },
      ),
      // Microsoft: the reboot patch (KB0019789) before any configuration of a new unit; it can only
      // be read (or installed) once the forced first-login password change is done
      check(
        'reboot-patch',
        'The reboot patch Microsoft asks for (Thales KB0019789) is installed, where the appliance software is below 7.7.0',
        'appliance.rebootPatch',
        {},
      ),
      // Thales: initialise only once the time (and NTP) is set, so the audit log is accurate;
      // checked before anything is erased
      check(
        'check-time',
        `The appliance clock is within ${p.maxClockSkewSeconds} s of the worker's, and synchronised where NTP is enabled`,
        'hsm.checkTime',
        { maxSkewSeconds: p.maxClockSkewSeconds },
      ),
      ...(p.reinit
        ? [
            ...approvalGate(
              inventory,
              request,
              p,
              'approve-reinit',
              `Approve ERASING ${request.hsm} (re-initialisation)`,
            ),
            device(
              request,
              'zeroize',
              `Zeroize the HSM before re-initialising it, by ${zeroizeMethod(inventory, request.hsm)}`,
              'hsm.zeroize',
              {},
            ),
          ]
        : [check('check-zeroized', 'The HSM is a fresh (zeroized) unit', 'hsm.checkZeroized', {})]),
      device(request, 'init', `Initialise the HSM with label ${p.label} and ${domain.words}`, 'hsm.init', {
        label: p.label,
        defaultDomain: domain.defaultDomain,
      }),
      // Microsoft's activation guide, after hsm init: sysconf regenCert, ntls bind, service restart ntls
      device(
        request,
        'ntls-certificate',
        `Make the NTLS server certificate for ${request.hsm}'s own address and restart NTLS on ${p.ntlsDevice}, so the server.pem clients fetch matches the unit`,
        'ntls.certificateForUnit',
        { device: p.ntlsDevice },
      ),
      ...policies.map(({ policy, value }) =>
        policy.destructive
          ? device(
              request,
              `policy-${policy.code}`,
              `Set destructive HSM policy ${policy.code} (${policy.name}) to ${value}: erases every partition`,
              'hsm.changeDestructivePolicy',
              { policy: policy.code, value },
            )
          : device(
              request,
              `policy-${policy.code}`,
              `Set HSM policy ${policy.code} (${policy.name}) to ${value}`,
              'hsm.setPolicy',
              { policy: policy.code, value },
            ),
      ),
      ...(p.syslogHost
        ? [
            device(
              request,
              'syslog',
              `Send logs to ${p.syslogHost}:${p.syslogPort}/${p.syslogProtocol}`,
              'hsm.configureSyslog',
              { host: p.syslogHost, port: p.syslogPort, protocol: p.syslogProtocol },
            ),
          ]
        : []),
      ...(p.auditHost
        ? [
            device(
              request,
              'audit-logging',
              `Send the HSM audit log to ${p.auditHost}:${p.auditPort}/${p.auditProtocol}${p.auditInit ? ' (RE-INITIALISING the Audit role: audit init destroys the existing one)' : ' (the Audit role initialised first where it is not)'}`,
              'hsm.configureAuditLogging',
              { host: p.auditHost, port: p.auditPort, protocol: p.auditProtocol, initRole: p.auditInit },
            ),
          ]
        : []),
      check('verify', `hsm show reports label ${p.label}, not zeroized`, 'hsm.verify', {
        label: p.label,
        zeroized: false,
      }),
    ],
  };
}
