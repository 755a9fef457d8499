import type { Inventory, SecretRef } from '../../ceremonies/inventory';
import { own } from '../../ceremonies/own';
import { AuthenticationFailed, HsmLoginFailed, HsmLoginRefused, LunaCommandError } from './errors';
import { readSoLoginAttemptsLeft } from './queries';
import {
  LunaShell,
  type CommandOutput,
  type HostOutput,
  type LunaCredential,
  type LunaTarget,
  type RunOptions,
} from './luna-shell';
import { createHash, randomBytes } from 'node:crypto';
import type { Lease, SessionPool } from './session-pool';
import { resolveSecret, SecretUnavailable, storeSecret, trySecret, type SecretSources } from './secrets';

/** A random password that meets Luna's appliance password rule (8+ characters from 3 of the 4
 * classes upper, lower, digit, other): 24 base64url characters, then one of each class that a
 * random string may lack, so the rule holds whatever the random part drew. */
export function newAppliancePassword(): string {
  return `${randomBytes(18).toString('base64url')}Aa1-`;
}

/** The last `max` characters of a long output, saying how much was left out. */
function bounded(output: string, max: number): string {
  return output.length <= max ? output : `[${output.length - max} earlier characters not kept]\n${output.slice(-max)}`;
}

/** LunaCM connects to every server it is configured for (NTLS) before its first prompt. */
const LUNACM_START_MS = 60_000;

/** Where a device is and how to log in: an HSM appliance or a backup workstation (an OS shell
 * that starts LunaCM with `lunacm`). */
export interface DeviceEndpoint {
  host: string;
  port: number;
  hostKeyFingerprint: string;
  credentials: Partial<Record<string, SecretRef>>;
  lunacm?: string;
}

import type { TranscriptEntry } from '../../contract/activities';
export type { TranscriptEntry };

/** Times a command from now: the result gives its transcript entry's `at` and `ms`. */
function commandTimer(): () => { at: string; ms: number } {
  const at = new Date().toISOString();
  const start = performance.now();
  return () => ({ at, ms: Math.round((performance.now() - start) * 10) / 10 });
}

/** Logged-in appliance sessions kept between activities (`session-pool.ts`). */
export type DeviceSessions = SessionPool<LunaShell>;

/** Everything an operation needs to talk to one appliance, within one activity: one admin
 * session opened on first use (or borrowed from the worker's pool) and reused, secrets resolved
 * from the inventory's references, and a transcript of every command for the evidence (outputs
 * already scrubbed). */
export class DeviceAccess {
  readonly transcript: TranscriptEntry[] = [];
  private adminShell: Promise<LunaShell> | null = null;
  /** The admin session when it came from the pool; given back by `close`. */
  private adminLease: Lease<LunaShell> | null = null;
  /** False once the admin session did something the next activity must not inherit: a command
   * failed or timed out, it ended the session, or the HSM Administrator logged in. */
  private adminReusable = true;
  /** Sessions of other appliance users (the audit user), by user. */
  private readonly userShells = new Map<string, Promise<LunaShell>>();
  /** A workstation's OS shell (a second login, for shell commands: `runHost`). */
  private hostShell: Promise<LunaShell> | null = null;
  private readonly opened: LunaShell[] = [];

  constructor(
    readonly ref: string,
    readonly entry: DeviceEndpoint,
    /** The user commands run as: `admin` or `tenantadmin` on appliances, `backup` on the workstation. */
    private readonly adminUserName: string,
    /** Where the inventory's secret references are resolved. */
    private readonly secrets: SecretSources = {},
    /** How long a command may take unless it says otherwise: the operation's own estimate. */
    private readonly commandTimeoutMs?: number,
    /** The worker's pool of appliance admin sessions (none: a session per activity). */
    private readonly sessions?: DeviceSessions,
  ) {}

  static forHsm(
    inventory: Inventory,
    ref: string,
    secrets?: SecretSources,
    commandTimeoutMs?: number,
    sessions?: DeviceSessions,
  ): DeviceAccess {
    const entry = own(inventory.hsms, ref);
    if (!entry) throw new SecretUnavailable(`unknown HSM "${ref}": not in the worker's inventory`);
    return new DeviceAccess(
      ref,
      entry,
      entry.credentials.admin || entry.credentials.adminKey ? 'admin' : 'tenantadmin',
      secrets,
      commandTimeoutMs,
      sessions,
    );
  }

  /** The on-prem backup device of an HSM. */
  static forBackupOf(
    inventory: Inventory,
    hsmRef: string,
    secrets?: SecretSources,
    commandTimeoutMs?: number,
  ): DeviceAccess {
    const name = own(inventory.hsms, hsmRef)?.backupDevice;
    const entry = name ? own(inventory.backupDevices, name) : undefined;
    if (!name || !entry) throw new SecretUnavailable(`the inventory names no backup device for HSM "${hsmRef}"`);
    // the OS login user is the inventory's; its password or key is `credentials.backup` /
    // `backupKey` whatever the user is called (the session looks credentials up by user name)
    const { backup, backupKey, backupDomain: _retired, ...others } = entry.credentials;
    const login = {
      ...(backup ? { [entry.user]: backup } : {}),
      ...(backupKey ? { [`${entry.user}Key`]: backupKey } : {}),
    };
    return new DeviceAccess(
      name,
      { ...entry, credentials: { ...others, ...login } },
      entry.user,
      secrets,
      commandTimeoutMs,
    );
  }

  get target(): LunaTarget {
    return { host: this.entry.host, port: this.entry.port, hostKeyFingerprint: this.entry.hostKeyFingerprint };
  }

  async secret(name: string): Promise<string> {
    const ref = own(this.entry.credentials, name);
    if (!ref) throw new SecretUnavailable(`the inventory has no ${name} credential for ${this.ref}`);
    return resolveSecret(ref, this.secrets);
  }

  /** A secret the inventory names elsewhere than this device's credentials (a partition's CO). */
  async secretAt(ref: SecretRef): Promise<string> {
    return resolveSecret(ref, this.secrets);
  }

  /** The stored secret, or undefined when none is stored yet. */
  async storedSecret(name: string): Promise<string | undefined> {
    const ref = own(this.entry.credentials, name);
    return ref ? trySecret(ref, this.secrets) : undefined;
  }

  /** The stored secret, or a new random one stored first (so a crash after storing and before
   * using it leaves nothing unknown). */
  async secretOrGenerate(name: string): Promise<string> {
    const ref = own(this.entry.credentials, name);
    if (!ref) throw new SecretUnavailable(`the inventory has no ${name} credential for ${this.ref}`);
    const existing = await this.storedSecret(name);
    if (existing) return existing;
    const generated = newAppliancePassword();
    await storeSecret(ref, generated, this.secrets);
    return generated;
  }

  adminUser(): string {
    return this.adminUserName;
  }

  async open(
    user: string,
    credential: LunaCredential,
    options: { firstLogin?: { newPassword: string } } = {},
  ): Promise<LunaShell> {
    const shell = await LunaShell.open(this.target, user, credential, options);
    this.opened.push(shell);
    return shell;
  }

  /** Can `user` log in with `password` (without a forced change)? Only a refused password is
   * "no": a server that offers no password method, or a connection that fails, is an error. */
  async canLogin(user: string, password: string): Promise<boolean> {
    try {
      (await this.open(user, { password })).close();
      return true;
    } catch (err) {
      if (err instanceof AuthenticationFailed) return false;
      throw err;
    }
  }

  /** How the session user logs in: by key when the inventory has `<user>Key`, else by password. */
  private async credential(user: string): Promise<LunaCredential> {
    const keyRef = own(this.entry.credentials, `${user}Key`);
    return keyRef ? { privateKey: await resolveSecret(keyRef, this.secrets) } : { password: await this.secret(user) };
  }

  /** Run a command of a workstation's OS shell (its own session) and record it. */
  async runHost(command: string, options: { timeoutMs?: number } = {}): Promise<HostOutput> {
    if (this.entry.lunacm === undefined) throw new Error(`${this.ref} is an appliance: lunash runs no shell commands`);
    this.hostShell ??= this.login(true).catch((err) => {
      this.hostShell = null;
      throw err;
    });
    const shell = await this.hostShell;
    const timed = commandTimer();
    try {
      const out = await shell.runHost(command, options);
      this.transcript.push({ user: shell.user, command, code: out.status, output: out.output, ...timed() });
      return out;
    } catch (err) {
      this.transcript.push({ user: shell.user, command, code: -1, output: (err as Error).message, ...timed() });
      throw err;
    }
  }

  /** Run a command in the (reused) admin session and record it in the transcript: lunash on an
   * appliance, LunaCM on a workstation. */
  async run(command: string, options: RunOptions = {}): Promise<CommandOutput> {
    try {
      const shell = await this.admin();
      return await this.runIn(shell, command, options).catch((err: unknown) => {
        this.adminReusable = false;
        throw err;
      });
    } finally {
      if (options.endsSession) this.endAdminSession();
    }
  }

  /** The admin session is over (a reboot closed it): the next command logs in again. */
  private endAdminSession(): void {
    this.adminLease?.discard();
    this.adminLease = null;
    this.adminShell = null;
    this.adminReusable = true;
  }

  /** Run a command as another appliance user (its `<user>` credential), in a session of its own. */
  async runAs(user: string, command: string, options: RunOptions = {}): Promise<CommandOutput> {
    let shell = this.userShells.get(user);
    if (!shell) {
      shell = this.secret(user).then((password) => this.open(user, { password }));
      shell.catch(() => this.userShells.delete(user));
      this.userShells.set(user, shell);
    }
    return this.runIn(await shell, command, options);
  }

  private async runIn(shell: LunaShell, command: string, options: RunOptions): Promise<CommandOutput> {
    const timed = commandTimer();
    try {
      const out = await shell.run(command, { ...options, timeoutMs: options.timeoutMs ?? this.commandTimeoutMs });
      this.transcript.push({
        user: shell.user,
        command,
        code: out.code,
        output: options.keepChars === undefined ? out.output : bounded(out.output, options.keepChars),
        ...timed(),
        ...(out.warnings.length ? { warnings: out.warnings } : {}),
      });
      return out;
    } catch (err) {
      const warnings = err instanceof LunaCommandError ? err.warnings : [];
      this.transcript.push({
        user: shell.user,
        command,
        code: -1,
        output: (err as Error).message,
        ...timed(),
        ...(warnings.length ? { warnings } : {}),
      });
      throw err;
    }
  }

  private admin(): Promise<LunaShell> {
    this.adminShell ??= this.adminSession().catch((err) => {
      this.adminShell = null; // let the next call try again (e.g. while an appliance reboots)
      throw err;
    });
    return this.adminShell;
  }

  /** Only an appliance's lunash session is borrowed from the pool: a workstation's LunaCM session
   * keeps the slot and the Crypto Officer's login it was given. */
  private async adminSession(): Promise<LunaShell> {
    if (!this.sessions || this.entry.lunacm !== undefined) return this.login(false);
    const user = this.adminUser();
    const credential = await this.credential(user);
    const key = [
      this.entry.host,
      this.entry.port,
      this.entry.hostKeyFingerprint,
      user,
      createHash('sha256').update(JSON.stringify(credential)).digest('base64'),
    ].join(' ');
    this.adminLease = await this.sessions.acquire(key, () => LunaShell.open(this.target, user, credential));
    return this.adminLease.session;
  }

  /** The session user's login: lunash on an appliance; on a workstation its OS shell, then
   * LunaCM started from it unless `shellOnly`. */
  private async login(shellOnly: boolean): Promise<LunaShell> {
    const user = this.adminUser();
    const credential = await this.credential(user);
    const lunacm = this.entry.lunacm;
    if (lunacm === undefined) return this.open(user, credential);
    const shell = await LunaShell.open(this.target, user, credential, { hostShell: true });
    this.opened.push(shell);
    if (shellOnly) return shell;
    try {
      const banner = await shell.startLunacm(lunacm, { timeoutMs: LUNACM_START_MS });
      this.transcript.push({ user, command: lunacm, code: 0, output: banner });
    } catch (err) {
      this.transcript.push({ user, command: lunacm, code: -1, output: (err as Error).message });
      throw err;
    }
    return shell;
  }

  /** Copy a package into the admin's directory with scp (`scp -t .` on the appliance). */
  async upload(remoteName: string, data: Buffer): Promise<void> {
    const command = `(scp ${remoteName}, ${data.length} bytes)`;
    try {
      await (await this.admin()).upload(remoteName, data, this.commandTimeoutMs);
      this.transcript.push({ user: this.adminUser(), command, code: 0, output: '' });
    } catch (err) {
      this.adminReusable = false;
      this.transcript.push({ user: this.adminUser(), command, code: -1, output: (err as Error).message });
      throw err;
    }
  }

  /** Fetch a file from the admin's directory with scp (`scp -f <file>` on the appliance). */
  async download(remoteName: string): Promise<Buffer> {
    try {
      const data = await (await this.admin()).download(remoteName, this.commandTimeoutMs);
      this.transcript.push({
        user: this.adminUser(),
        command: `(scp fetch ${remoteName}, ${data.length} bytes)`,
        code: 0,
        output: '',
      });
      return data;
    } catch (err) {
      this.adminReusable = false;
      this.transcript.push({
        user: this.adminUser(),
        command: `(scp fetch ${remoteName})`,
        code: -1,
        output: (err as Error).message,
      });
      throw err;
    }
  }

  /** Log the HSM Administrator (SO) in, in the admin session, behind the safety interlock:
   * `hsm show` first, and the password is typed only when it says two attempts or more are left
   * before the HSM zeroizes (three failures zeroize it: Azure, "Troubleshooting", Failed Logins).
   * A refused password is never typed again: the step fails for an operator, saying how many
   * attempts `hsm show` reports left after it. (The deliberate failed logins of an Azure zeroize
   * are not this: see `hsm.zeroize`.) */
  async hsmLogin(): Promise<void> {
    const left = await readSoLoginAttemptsLeft(this);
    if (left === null)
      throw new HsmLoginRefused(
        this.ref,
        'hsm show says the HSM is zeroized ("HSM IS ZEROIZED"): there is no HSM SO to log in as; initialise the HSM (hsm-init) first',
      );
    if (left <= 1) {
      throw new HsmLoginRefused(
        this.ref,
        `hsm show says ${left} HSM SO login attempt${left === 1 ? '' : 's'} left before zeroization: one more failed login zeroizes the HSM. Find out who failed the earlier logins; log in by hand (hsm login) with the right password to reset the counter, then retry the step`,
      );
    }
    const password = await this.secret('hsmSo');
    this.adminReusable = false; // the SO's login lives in the session: never lent on
    // no answer to the last-attempt caution: were it asked, nothing would be typed
    const out = await this.run('hsm login', {
      answers: [{ prompt: /password:[\s>]*$/i, reply: password }],
      secrets: [password],
      allowError: true,
    });
    if (out.code === 0 && out.errors.length === 0) return;
    const said = [...out.errors.map((e) => e.line), `Command Result : ${out.code} (${out.text})`].join(' ');
    let now: string;
    try {
      const after = await readSoLoginAttemptsLeft(this);
      now =
        after === null
          ? 'hsm show now says the HSM is zeroized'
          : `hsm show now says ${after} attempt${after === 1 ? '' : 's'} left before zeroization`;
    } catch (err) {
      now = `hsm show could not be read after it (${(err as Error).message})`;
    }
    throw new HsmLoginFailed(
      this.ref,
      `${now}. The password is not typed again: check the inventory's hsmSo secret, log in by hand with the right password to reset the counter, then retry the step`,
      said,
    );
  }

  /** Close this activity's sessions; a borrowed admin session goes back to the pool only when
   * the activity succeeded and nothing made the session unfit to lend. */
  close(outcome: { failed: boolean } = { failed: false }): void {
    if (this.adminLease) {
      if (outcome.failed || !this.adminReusable) this.adminLease.discard();
      else this.adminLease.release();
      this.adminLease = null;
    }
    for (const shell of this.opened) shell.close();
  }
}
