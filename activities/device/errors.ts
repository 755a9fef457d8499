/** Device failures a person must look at: the activity turns these into non-retryable failures.
 * Anything else (connection reset, timeout) is transient and retried by Temporal. */
export class DeviceError extends Error {
  readonly retryable = false;
}

export class HostKeyMismatch extends DeviceError {
  constructor(host: string, expected: string, seen: string) {
    super(`host key mismatch for ${host}: the inventory pins ${expected}, the appliance presented ${seen}`);
    this.name = 'HostKeyMismatch';
  }
}

/** The server took one of our methods and refused what we sent (the password, the key). */
export class AuthenticationFailed extends DeviceError {
  constructor(host: string, user: string, why = 'wrong password for this appliance user') {
    super(`login as ${user} on ${host} was refused: ${why}`);
    this.name = 'AuthenticationFailed';
  }
}

/** The server asked a keyboard-interactive question we do not answer (a one-time code): not a
 * wrong password either. */
export class UnansweredLoginQuestion extends DeviceError {
  constructor(host: string, user: string, question: string) {
    super(
      `login as ${user} on ${host} asked "${question}", which the worker does not answer: give ${user} a password or key login`,
    );
    this.name = 'UnansweredLoginQuestion';
  }
}

/** The server offered no authentication method we have a credential for: not a wrong password. */
export class NoUsableAuthMethod extends DeviceError {
  constructor(host: string, user: string, offered: string[], ours: string[]) {
    super(
      `${host} offers ${offered.length ? offered.join(', ') : 'no method'} for ${user}; the inventory's credential can do ${ours.join(', ')}: give ${user} a credential the server accepts`,
    );
    this.name = 'NoUsableAuthMethod';
  }
}

export class PasswordChangeRequired extends DeviceError {
  constructor(host: string, user: string) {
    super(`${user} on ${host} must change its initial password first (run hsm.changeInitialPassword)`);
    this.name = 'PasswordChangeRequired';
  }
}

export class LunaCommandError extends DeviceError {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly resultText: string,
    readonly errorLines: string[],
    /** The `Warning:` lines the failed command printed (kept for the step's evidence). */
    readonly warnings: string[] = [],
  ) {
    super(`'${command}' failed: ${errorLines.join(' ') || 'no error text'} (Command Result : ${code} (${resultText}))`);
    this.name = 'LunaCommandError';
  }
}

/** A command asked a question the operation has no answer for (a prompt worded otherwise than
 * documented, a confirmation nobody expected): nothing is typed on a guess. */
export class UnansweredPrompt extends DeviceError {
  constructor(host: string, command: string, question: string, leadIn?: string) {
    super(
      `'${command}' on ${host} asked ${JSON.stringify(question)}${leadIn === undefined ? '' : ` (after ${JSON.stringify(leadIn)})`}, which the operation does not answer; nothing was typed`,
    );
    this.name = 'UnansweredPrompt';
  }
}

/** A backup partition of this step exists but holds fewer (or other) objects than its source:
 * it is not a backup, and it is not taken for one. An operator decides (replace, or abort). */
export class IncompleteBackup extends DeviceError {
  constructor(
    device: string,
    target: { label: string; objects: number },
    sourceObjects: number,
    partition: string,
    decision: string,
  ) {
    super(
      `backup ${target.label} on ${device} holds ${target.objects} of the ${sourceObjects} objects of partition ${partition}: it is not a backup; ${decision}`,
    );
    this.name = 'IncompleteBackup';
  }
}

/** A partition whose restore was interrupted (a lost session) or that holds something else. */
export class IncompleteRestore extends DeviceError {
  constructor(partition: string, holds: number, label: string, backupObjects: number, decision: string) {
    super(`partition ${partition} holds ${holds} objects, backup ${label} ${backupObjects}: ${decision}`);
    this.name = 'IncompleteRestore';
  }
}

/** The device's state after an act is not what the operation promised. */
export class VerificationFailed extends DeviceError {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationFailed';
  }
}

/** Transient: retried. */
export class DeviceConnectionLost extends Error {
  constructor(host: string, during: string) {
    super(`connection to ${host} lost during ${during}`);
    this.name = 'DeviceConnectionLost';
  }
}

/** The appliance did not come back after a reboot: on Azure this needs a physical reboot. */
export class RebootHung extends DeviceError {
  constructor(host: string, waitedSeconds: number) {
    super(
      `${host} did not come back within ${waitedSeconds} s of the reboot: a physical reboot (support request) is needed`,
    );
    this.name = 'RebootHung';
  }
}

/** The device answered, but not in a shape we can read (an unknown layout, a missing field, a cell
 * that is not what its column holds, an empty answer where a table is due). A probe never reads
 * that as "absent": the step fails and an operator looks at the output (in the transcript). */
export class UnreadableOutput extends DeviceError {
  constructor(
    readonly command: string,
    readonly problem: string,
    readonly line?: string,
  ) {
    super(
      `unexpected '${command}' output: ${problem}${line === undefined ? '' : ` (at ${JSON.stringify(line.trim())})`}; nothing was decided on it`,
    );
    this.name = 'UnreadableOutput';
  }
}

/** The safety interlock before `hsm login`: the HSM SO's password is not typed when one failure
 * more would zeroize the HSM, or when `hsm show` does not say how many attempts are left. Never
 * retried automatically: an operator must look (and log in by hand with the right password to
 * reset the counter), then retry the step. */
export class HsmLoginRefused extends DeviceError {
  constructor(host: string, why: string) {
    super(`the HSM SO password was not typed on ${host}: ${why}`);
    this.name = 'HsmLoginRefused';
  }
}

/** A role login the worker refuses to attempt (one failure more would lock the role out, or how
 * many attempts are left could not be read): never retried by itself; an operator looks. */
export class RoleLoginRefused extends DeviceError {
  constructor(where: string, role: string, why: string) {
    super(`role login -name ${role} on ${where} not attempted: ${why}; nothing was typed`);
    this.name = 'RoleLoginRefused';
  }
}

/** The appliance refused the HSM SO password the inventory gave (our own `hsm login`): never
 * typed again automatically, as each failure brings the HSM nearer to zeroization. */
export class HsmLoginFailed extends DeviceError {
  constructor(host: string, after: string, deviceSaid: string) {
    super(`the HSM refused the HSM SO password of the inventory on ${host} (${deviceSaid}); ${after}`);
    this.name = 'HsmLoginFailed';
  }
}
