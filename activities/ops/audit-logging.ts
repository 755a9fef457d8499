import { PROCEED } from '../device/luna-constants';
import type { DeviceAccess } from '../device/device-access';
import { AuthenticationFailed, PasswordChangeRequired, UnreadableOutput, VerificationFailed } from '../device/errors';
import { parseAuditRemoteHosts, parseKeyValues } from '../device/lunash-parser';
import { defineOperation } from './operation';

// HSM audit logging (Thales, Luna Network HSM 7, "Audit Logging"): the HSM event log belongs to
// the Audit role, "disabled by default"; the appliance's `audit` user runs the `audit` commands.
// `audit init` "initializes the Audit role on the HSM ... attaches an audit domain and a role
// password for password-authenticated HSMs" (LunaSH `audit init`); the Auditor then logs in
// (`audit login`: "Before you can change the audit logging configuration ... you must log in as
// Auditor"); `audit remotehost add -host <host> -protocol <tcp|udp> -port <n>` sends the audit
// logs to a remote logging server ("Remote Audit Logging"; default UDP, port 514). This is the
// HSM's audit trail, separate from the appliance's syslog (`syslog remotehost add`).

const AUDIT_USER = 'audit';

/** `hsm show`'s "Audit Role Initialized" (Yes/No), as the audit user reads it. */
async function auditRoleInitialised(d: DeviceAccess): Promise<boolean> {
  const value = parseKeyValues((await d.runAs(AUDIT_USER, 'hsm show')).output)['Audit Role Initialized'];
  if (value === 'Yes') return true;
  if (value === 'No') return false;
  throw new UnreadableOutput(
    'hsm show',
    value === undefined
      ? 'no "Audit Role Initialized" field'
      : `Audit Role Initialized "${value}" is neither Yes nor No`,
  );
}

/** The role must be one whose password the secret store holds: a unit is delivered with an Audit
 * role already initialised (the Azure 7.2 capture of a fresh unit: "Audit Role Initialized: Yes"). */
async function auditState(d: DeviceAccess, host: string, port: number, protocol: string) {
  const roleInitialised = await auditRoleInitialised(d).catch((err: unknown) => {
    if (err instanceof AuthenticationFailed || err instanceof PasswordChangeRequired) {
      // Thales: the audit role "is disabled by default and must be explicitly enabled"
      throw new VerificationFailed(
        `the appliance's audit user cannot log in to ${d.ref} (${err.message}): an appliance admin enables the audit user and sets its password to the inventory's audit credential first (Thales, "Audit Logging": disabled by default)`,
      );
    }
    throw err;
  });
  const rolePasswordStored = (await d.storedSecret('auditRole')) !== undefined;
  const remoteHosts = parseAuditRemoteHosts((await d.runAs(AUDIT_USER, 'audit remotehost list')).output);
  const sending = remoteHosts.some((r) => r.host === host && r.port === port && r.protocol === protocol);
  return {
    present: roleInitialised && rolePasswordStored && sending,
    state: { roleInitialised, rolePasswordStored, sending, remoteHosts },
  };
}

export const configureAuditLogging = defineOperation('hsm.configureAuditLogging', {
  async probe(ctx, { host, port, protocol }) {
    return auditState(ctx.device(), host, port, protocol);
  },
  async act(ctx, { host, port, protocol, initRole }) {
    const d = ctx.device();
    const commands: string[] = [];
    const { state } = await auditState(d, host, port, protocol);
    if (state.roleInitialised && !state.rolePasswordStored && !initRole) {
      throw new VerificationFailed(
        `the HSM Audit role of ${d.ref} is already initialised (hsm show: Audit Role Initialized: Yes, as units are delivered) and the secret store holds no auditRole password for it: store its password as auditRole, or request auditInit=true to re-initialise it with audit init (which destroys the existing Audit role)`,
      );
    }
    const password = await d.secretOrGenerate('auditRole');
    const secrets = [password];
    if (!state.roleInitialised || !state.rolePasswordStored) {
      const domain = await d.secret('auditDomain');
      secrets.push(domain);
      // prompts as `hsm init` asks for the SO's password and domain (the audit init page shows none)
      await d.runAs(AUDIT_USER, 'audit init', {
        answers: [
          { prompt: /enter (?:a |the )?password[^\n]*:[\s>]*$/i, reply: password },
          { prompt: /re-enter password[^\n]*:[\s>]*$/i, reply: password },
          { prompt: /enter (?:a |the )?(?:audit |cloning )?domain[^\n]*:[\s>]*$/i, reply: domain },
          { prompt: /re-enter (?:audit |cloning )?domain[^\n]*:[\s>]*$/i, reply: domain },
          PROCEED,
        ],
        secrets,
      });
      commands.push('audit init');
    }
    if (!state.sending) {
      await d.runAs(AUDIT_USER, 'audit login', {
        answers: [{ prompt: /password[^\n]*:[\s>]*$/i, reply: password }],
        secrets,
      });
      const add = `audit remotehost add -host ${host} -protocol ${protocol} -port ${port}`;
      await d.runAs(AUDIT_USER, add);
      commands.push('audit login', add);
    }
    return { commands };
  },
});
