import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { applianceStore } from '../../simulator/appliance-shell';
import { freshApplianceState, type ApplianceState, type StateFile } from '../../simulator/state';
import { freePort } from './free-port';
import { initialiseState, SECRETS, writeTestInventory } from './simulated-hsm';

// A simulated appliance behind a real OpenSSH sshd: sshd authenticates the appliance's accounts
// as OS users (created here when missing, with the test inventory's password) and runs the
// simulator's lunash (`dist/simulator/lunash/pty-main.js`) as their ForceCommand on a real PTY.
// Needs root (useradd, chpasswd, sshd) and Debian's openssh-server (`npm test` installs it).

export const SSHD = '/usr/sbin/sshd';
// from test/support (jest) or dist/test/support (compiled)
const ROOT = resolve(__dirname, '..', '..');
const PTY_MAIN = join(basename(ROOT) === 'dist' ? ROOT : join(ROOT, 'dist'), 'simulator', 'lunash', 'pty-main.js');

/** How sshd lets the user in: the `password` method, only `keyboard-interactive` through PAM (as
 * PAM-based sshd configurations do), or only `publickey` (a key in authorized_keys). */
export type SshdAuthentication = 'password' | 'keyboard-interactive' | 'publickey';

export interface OpenSshAppliance {
  name: string;
  port: number;
  /** The host key's `SHA256:` fingerprint (as the inventory pins it). */
  fingerprint: string;
  /** A test inventory (as `simulated-hsm.ts` writes) pointing at sshd. */
  inventoryPath: string;
  dir: string;
  /** The appliance's state file (shared with every session's lunash process). */
  state: StateFile<ApplianceState>;
  env: NodeJS.ProcessEnv;
  /** sshd's configuration file and its text. */
  configPath: string;
  config: string;
  /** What sshd has logged so far (`-e`: its log on stderr). */
  log(): string;
  close(): Promise<void>;
}

/** sshd's configuration: 127.0.0.1 only, its own host key, nothing but the appliance's users,
 * one password method, and lunash as the only command. */
export function sshdConfig(options: {
  port: number;
  hostKey: string;
  pidFile: string;
  users: string[];
  authentication: SshdAuthentication;
  applianceDir: string;
  authorizedKeys?: string;
}): string {
  const password = options.authentication === 'password';
  const kbd = options.authentication === 'keyboard-interactive';
  const key = options.authentication === 'publickey';
  return [
    `ListenAddress 127.0.0.1:${options.port}`,
    `HostKey ${options.hostKey}`,
    `PidFile ${options.pidFile}`,
    `AllowUsers ${options.users.join(' ')}`,
    'StrictModes no',
    'PermitRootLogin no',
    `PubkeyAuthentication ${key ? 'yes' : 'no'}`,
    `AuthorizedKeysFile ${key && options.authorizedKeys ? options.authorizedKeys : 'none'}`,
    `PasswordAuthentication ${password ? 'yes' : 'no'}`,
    `KbdInteractiveAuthentication ${kbd ? 'yes' : 'no'}`,
    `UsePAM ${kbd ? 'yes' : 'no'}`,
    'PermitEmptyPasswords no',
    `ForceCommand ${quote(process.execPath)} ${quote(PTY_MAIN)} ${quote(options.applianceDir)}`,
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'PermitTunnel no',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function quote(word: string): string {
  if (word.includes("'")) throw new Error(`cannot quote ${word} for sshd's ForceCommand`);
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word}'`;
}

/** Start sshd (`-D -e -f <config>`) on 127.0.0.1 and a free port, in front of a new appliance
 * state (initialised as `initialiseDirectly` leaves it: tenantadmin's password set, no forced
 * change, HSM initialised). */
export async function startOpenSshAppliance(
  authentication: SshdAuthentication,
  options: { name?: string } = {},
): Promise<OpenSshAppliance> {
  const name = options.name ?? 'hsm-ossh-1';
  const user = 'tenantadmin'; // the inventory's admin user (no `admin` credential)
  preflight();
  const account = ensureOsUser(user, SECRETS.TEST_TENANTADMIN_PASSWORD);

  // the temp dir is 0700 root: sshd's own files stay so (sshd/); the appliance's lunash runs as
  // the logged-in user, who owns the appliance dir (to replace state.json and take its lock)
  const dir = mkdtempSync(join(tmpdir(), `openssh-${name}-`));
  try {
    return await start(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function start(dir: string): Promise<OpenSshAppliance> {
    chmodSync(dir, 0o711);
    const sshdDir = join(dir, 'sshd');
    mkdirSync(sshdDir, { mode: 0o700 });
    const applianceDir = join(dir, name);
    mkdirSync(applianceDir);
    chownSync(applianceDir, account.uid, account.gid);
    const state = applianceStore(applianceDir);
    state.write(freshApplianceState(name, String(1_300_000 + Math.floor(Math.random() * 99_999))));
    initialiseState(state);

    const hostKey = join(sshdDir, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name} host key`, '-f', hostKey]);
    const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]).toString(),
    )?.[0];
    if (!fingerprint) throw new Error(`no fingerprint for ${hostKey}`);

    // a key the user logs in with (publickey): the worker keeps the private half, sshd the public
    const clientKey = join(dir, 'tenantadmin_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${user}@${name}`, '-f', clientKey]);
    // sshd reads authorized_keys as the user: beside the appliance, not in root's sshd/
    const authorizedKeys = join(dir, 'authorized_keys');
    writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o644 });

    const configPath = join(sshdDir, 'sshd_config');
    const pidFile = join(sshdDir, 'sshd.pid');
    let log = '';
    let sshd: ChildProcess | undefined;
    let port = 0;
    let config = '';
    for (let attempt = 1; !sshd; attempt++) {
      port = await freePort();
      config = sshdConfig({ port, hostKey, pidFile, users: [user], authentication, applianceDir, authorizedKeys });
      writeFileSync(configPath, config);
      const started = await startSshd(configPath, port);
      log += started.log;
      if (started.process) sshd = started.process;
      else if (!/Address already in use/.test(started.log) || attempt >= 5)
        throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${started.log}`);
    }
    sshd.stderr?.on('data', (d: Buffer) => (log += d.toString()));

    const inventoryPath = join(dir, 'inventory.yaml');
    writeTestInventory(inventoryPath, {
      name,
      port,
      fingerprint,
      ...(authentication === 'publickey' ? { tenantadminKey: `file:${clientKey}` } : {}),
    });
    const listener = sshd;
    return {
      name,
      port,
      fingerprint,
      inventoryPath,
      dir,
      state,
      env: { ...SECRETS },
      configPath,
      config,
      log: () => log,
      close: async () => {
        await stopSshd(listener);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function preflight(): void {
  if (!existsSync(SSHD))
    throw new Error(`${SSHD} is missing: install Debian's openssh-server (npm test does so when run as root)`);
  if (process.getuid?.() !== 0)
    throw new Error('the OpenSSH tests need root: they create the appliance users (useradd) and run sshd');
  if (!existsSync(PTY_MAIN)) throw new Error(`${PTY_MAIN} is missing: compile first (npm run build)`);
  // the users' lunash runs node on the compiled simulator: every directory on the way must let
  // others through, and the files be readable
  for (const file of [process.execPath, PTY_MAIN]) {
    for (let p = dirname(file); p !== dirname(p); p = dirname(p)) {
      if (!(statSync(p).mode & 0o001))
        throw new Error(`${p} is not searchable by other users: the appliance users' lunash (${file}) cannot run`);
    }
    if (!(statSync(file).mode & 0o004)) throw new Error(`${file} is not readable by other users`);
  }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
}

/** The OS account sshd authenticates: created when missing (a home, /bin/sh to run the
 * ForceCommand), its password set. Retried: another test process may hold /etc/passwd's lock. */
function ensureOsUser(user: string, password: string): { uid: number; gid: number } {
  for (let attempt = 1; ; attempt++) {
    try {
      if (spawnSync('getent', ['passwd', user]).status !== 0)
        execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', user], { stdio: 'pipe' });
      execFileSync('chpasswd', [], { input: `${user}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
      const [, , uid, gid, , , shell] = spawnSync('getent', ['passwd', user]).stdout.toString().trim().split(':');
      if (!shell || /nologin|false$/.test(shell))
        throw new Error(`the OS user ${user} has the shell ${shell}: sshd could not run lunash for it`);
      return { uid: Number(uid), gid: Number(gid) };
    } catch (err) {
      if (attempt >= 10 || /has the shell/.test((err as Error).message)) throw err;
      spawnSync('sleep', ['0.2']);
    }
  }
}

/** sshd, once it listens; or its log when it gave up. */
async function startSshd(configPath: string, port: number): Promise<{ process?: ChildProcess; log: string }> {
  // sshd re-executes itself: it needs its absolute path
  const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolvePromise({ log: `${log}(no "Server listening" in 10 s)` });
    }, 10_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        child.stderr.removeAllListeners('data');
        resolvePromise({ process: child, log });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ log: `${log}(sshd exited: ${signal ?? code})` });
    });
  });
}

/** The pids of `pid`'s live descendants (sshd's per-connection processes and their lunash). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parent.set(Number(entry), Number(ppid));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== p) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !done();) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Stop sshd: its connections first (the sessions our clients closed end by themselves; any other
 * is terminated), so that the listener reaps them, then the listener. Nothing is left running. */
async function stopSshd(sshd: ChildProcess): Promise<void> {
  const pid = sshd.pid;
  if (sshd.exitCode !== null || sshd.signalCode !== null || !pid) return;
  if (!(await until(() => descendants(pid).length === 0, 1_000))) {
    for (const child of descendants(pid)) {
      try {
        process.kill(child, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await until(() => descendants(pid).length === 0, 2_000);
  }
  const exited = new Promise<void>((r) => sshd.once('exit', () => r()));
  sshd.kill('SIGTERM');
  const timeout = setTimeout(() => sshd.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timeout);
}
