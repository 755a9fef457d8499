import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const DEFAULT_TENANTADMIN_PASSWORD = 'PASSWORD';

export const UserSchema = z.object({
  role: z.enum(['admin', 'operator', 'monitor', 'audit']),
  password: z.string(),
  /** Azure's tenantadmin ships with a default password that must be changed at first login. */
  mustChangePassword: z.boolean().default(false),
  enabled: z.boolean().default(true),
});

export const PartitionSchema = z.object({
  name: z.string(),
  serial: z.string(),
  objects: z.number().int().min(0),
  createdAt: z.string(),
  /** Bytes allotted; absent: the default, an equal share of the HSM storage per licensed partition. */
  size: z.number().int().min(0).optional(),
});

/** `certificateFingerprint`: the MD5 of the certificate `client register` read (`<host>.pem`). */
export const ClientSchema = z.object({
  name: z.string(),
  host: z.string(),
  partitions: z.array(z.string()),
  certificateFingerprint: z.string().optional(),
  ip: z.string().optional(),
});

export const ApplianceStateSchema = z.object({
  name: z.string(),
  serial: z.string(),
  softwareVersion: z.string().default('7.4.0-226'),
  firmware: z.string().default('7.0.3'),
  model: z.string().default('Luna K7'),
  label: z.string().nullable().default(null),
  /** Zeroized = no HSM SO, no partitions: the state of a fresh Azure unit and of a zeroize. */
  zeroized: z.boolean().default(true),
  manuallyZeroized: z.boolean().default(false),
  hsmSoPassword: z.string().nullable().default(null),
  hsmSoLoginAttemptsLeft: z.number().int().default(3),
  users: z.record(z.string(), UserSchema),
  partitions: z.array(PartitionSchema).default([]),
  clients: z.array(ClientSchema).default([]),
  /** Maximum HSM Storage Space (Bytes), as hsm show prints it. */
  storageTotal: z.number().int().default(33_554_432),
  /** How far the appliance clock is from the host's (ms), and its NTP service. */
  clockOffsetMs: z.number().int().default(0),
  ntp: z
    .object({ enabled: z.boolean(), running: z.boolean(), servers: z.array(z.string()), synchronised: z.boolean() })
    .default({ enabled: false, running: false, servers: [], synchronised: false }),
  /** The NTLS server certificate (PEM) clients fetch as server.pem; made at first use. */
  serverCertificate: z.string().nullable().default(null),
  /** How long a server certificate the appliance makes is valid (days; a fraction for tests of
   * the expiry warning). Thales publishes no lifetime for `sysconf regenCert`'s certificate:
   * guessed. */
  serverCertificateDays: z.number().positive().default(3650),
  /** NTLS: the network device it is bound to (`ntls bind`; "By default ... bound to all devices"),
   * the devices' addresses (the simulator is reached on loopback), and what the service runs with
   * since its last `service restart ntls` (null: as it came from the factory). */
  ntls: z
    .object({
      binding: z.string().default('all'),
      interfaces: z.record(z.string(), z.string()).default({ eth0: '127.0.0.1' }),
      serving: z.object({ certificate: z.string().nullable(), binding: z.string() }).nullable().default(null),
    })
    .default({ binding: 'all', interfaces: { eth0: '127.0.0.1' }, serving: null }),
  /** The HSM Audit role (`audit init`: its password and audit domain); null: not initialised. A
   * unit comes with one nobody here knows the password of: the Azure 7.2 capture of a fresh
   * (zeroized) unit prints "Audit Role Initialized: Yes". */
  auditRole: z
    .object({ password: z.string(), domain: z.string() })
    .nullable()
    .default({ password: 'as-delivered (unknown)', domain: 'as-delivered (unknown)' }),
  /** Where the HSM audit log is sent (`audit remotehost add`), apart from syslog. */
  auditRemoteHosts: z
    .array(z.object({ host: z.string(), port: z.number().int(), protocol: z.enum(['udp', 'tcp']) }))
    .default([]),
  licence: z
    .object({ licensedPartitions: z.number().int().default(10), maxPartitions: z.number().int().default(100) })
    .default({ licensedPartitions: 10, maxPartitions: 100 }),
  policies: z.record(z.string(), z.string()).default({}),
  syslogHosts: z
    .array(z.object({ host: z.string(), port: z.number().int(), protocol: z.enum(['udp', 'tcp']) }))
    .default([]),
  /** STC on the HSM admin channel (firmware 7.4.2 and older only); off unless the HSM SO enabled it. */
  stcEnabled: z.boolean().default(false),
  /** Azure Dedicated HSM disables `hsm zeroize`: three failed HSM Administrator logins zeroize. */
  zeroizeDisabled: z.boolean().default(false),
  /** Appliance software installed by `package update`: it runs after the next reboot. */
  pendingSoftware: z.string().nullable().default(null),
  /** The firmware image stored on the appliance, ready for `hsm firmware upgrade` ("Upgrade
   * Firmware"); a package update replaces it. */
  upgradeFirmware: z.string().nullable().default(null),
  /** The firmware a rollback would return to (the one before the last upgrade). */
  rollbackFirmware: z.string().nullable().default(null),
  /** How long the HSM takes to restart onto new firmware after `hsm firmware upgrade` (it restarts
   * by itself: guessed), and until when it is restarting: meanwhile the HSM's commands fail. */
  hsmRestartMs: z.number().int().min(0).default(0),
  hsmRestartingUntil: z.string().nullable().default(null),
  /** Installed packages (`package list`). Azure asks for the reboot patch on every Dedicated HSM
   * (KB0019789) before anything else: the simulated unit has it. */
  packages: z.array(z.string()).default(['lunasa-reboot-patch-3']),
  /** The kernel routing table (`network route show`): one default route. */
  routes: z
    .array(
      z.object({
        destination: z.string(),
        gateway: z.string(),
        genmask: z.string(),
        flags: z.string(),
        iface: z.string(),
      }),
    )
    .default([
      { destination: '0.0.0.0', gateway: '10.0.2.1', genmask: '0.0.0.0', flags: 'UG', iface: 'eth0' },
      { destination: '10.0.2.0', gateway: '0.0.0.0', genmask: '255.255.255.0', flags: 'U', iface: 'eth0' },
    ]),
  /** Files in the admin's directory, as scp left them (package uploads land here): `complete` is
   * false for a copy cut short (scp writes as it receives); a certificate's text is kept (`client
   * register` reads the `<host>.pem` copied before it). */
  files: z
    .record(
      z.string(),
      z.object({
        sha256: z.string(),
        size: z.number().int(),
        complete: z.boolean().default(true),
        content: z.string().optional(),
      }),
    )
    .default({}),
  /** While rebooting, SSH is refused. `null` until = hung: only a physical power cycle helps. */
  reboot: z.object({ until: z.string().nullable() }).nullable().default(null),
  audit: z
    .array(z.object({ at: z.string(), user: z.string(), command: z.string(), result: z.number().int() }))
    .default([]),
});

export type ApplianceState = z.infer<typeof ApplianceStateSchema>;
export type PartitionState = z.infer<typeof PartitionSchema>;

export function freshApplianceState(name: string, serial: string): ApplianceState {
  return ApplianceStateSchema.parse({
    name,
    serial,
    users: {
      tenantadmin: { role: 'admin', password: DEFAULT_TENANTADMIN_PASSWORD, mustChangePassword: true },
      monitor: { role: 'monitor', password: DEFAULT_TENANTADMIN_PASSWORD, mustChangePassword: true },
      // the appliance's audit user reads the HSM audit log; Thales: "disabled by default"
      audit: { role: 'audit', password: DEFAULT_TENANTADMIN_PASSWORD, mustChangePassword: true, enabled: false },
    },
  });
}

export interface StateFileOptions {
  /** Keep the state in this process's memory, read from the file once (if there is one) and
   * written back only on `flush()` (or `writeBehindMs` after a change): no file rewrite per
   * command and no lock file, so another process (the simulator CLI, an OpenSSH session's lunash)
   * sees only what was flushed. For benchmarks, whose simulators must not be the bottleneck. */
  inMemory?: boolean;
  writeBehindMs?: number;
}

/** The state file is the appliance: every command reads it and writes it back, so the simulator
 * CLI (e.g. `power-cycle`) and tests can inspect and change it while the server runs. Writes
 * replace the file by a rename (a reader never sees half a file). A change (`update`,
 * `transaction`) holds `<path>.lock` as well, so that several processes can share the file: the
 * ssh2 simulator, the simulator CLI, and one `lunash/pty-main` process per OpenSSH session.
 * With `inMemory` the same calls work on a copy kept in memory (see {@link StateFileOptions}). */
export class StateFile<T> {
  private memory: T | undefined;
  private dirty = false;
  private writeBehind: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly options: StateFileOptions = {},
  ) {}

  exists(): boolean {
    return this.memory !== undefined || existsSync(this.path);
  }

  /** A copy: changing it changes nothing until written. */
  read(): T {
    if (!this.options.inMemory) return this.readFile();
    this.memory ??= this.readFile();
    return structuredClone(this.memory);
  }

  write(state: T): void {
    // parsed as a read from the file would be: defaults filled in, and a copy of what the caller holds
    if (this.options.inMemory) this.keep(this.schema.parse(state));
    else this.writeFile(state);
  }

  /** Write the in-memory state to the file now, if it changed since the last write. */
  flush(): void {
    clearTimeout(this.writeBehind);
    this.writeBehind = undefined;
    if (!this.dirty || this.memory === undefined) return;
    this.dirty = false;
    this.writeFile(this.memory);
  }

  /** Read, change and write back at once. Within a transaction of this process (e.g. a reboot
   * finished while a session waits at a prompt) it does not wait for that transaction's lock;
   * otherwise it waits for another process's, up to `UPDATE_LOCK_WAIT_MS`, blocking this process
   * meanwhile (so not while a client in this process must answer that other process's prompt). */
  update<R>(fn: (state: T) => R): R {
    const mine = !this.options.inMemory && !StateFile.held.has(this.path);
    if (mine) this.lockSync();
    try {
      const state = this.read();
      const result = fn(state);
      this.commit(state);
      return result;
    } finally {
      if (mine) this.unlock();
    }
  }

  /** Read, change (possibly waiting, e.g. on a confirmation prompt) and write back, one session
   * at a time: sessions of one device interleave their awaits, and without this a command could
   * write back a state read before another session's change and lose it. Sessions of this
   * process queue here; other processes' wait on the lock file. */
  async transaction<R>(fn: (state: T) => Promise<R> | R): Promise<R> {
    const previous = StateFile.queues.get(this.path) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    StateFile.queues.set(this.path, tail);
    await previous;
    const locking = !this.options.inMemory;
    try {
      while (locking && !this.tryLock()) await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      StateFile.held.add(this.path);
      try {
        const state = this.read();
        const result = await fn(state);
        this.commit(state);
        return result;
      } finally {
        StateFile.held.delete(this.path);
        if (locking) this.unlock();
      }
    } finally {
      release();
      if (StateFile.queues.get(this.path) === tail) StateFile.queues.delete(this.path);
    }
  }

  /** Write back a state this class read (a copy no caller holds), under the lock it was read
   * with: unchanged, the file is left as it is. */
  private commit(state: T): void {
    if (this.options.inMemory) this.keep(state);
    else this.writeFile(state, { unlessUnchanged: true });
  }

  private keep(state: T): void {
    this.memory = state;
    this.dirty = true;
    if (this.options.writeBehindMs === undefined || this.writeBehind) return;
    this.writeBehind = setTimeout(() => this.flush(), this.options.writeBehindMs);
    this.writeBehind.unref();
  }

  /** Per file, the text this process last read from it and what the schema made of it: the same
   * text again (after a command that changed nothing) is not parsed and checked twice. A text this
   * process wrote is checked when it is next read, as any other. */
  private static readonly lastRead = new Map<string, { text: string; schema: z.ZodType; state: unknown }>();

  private readFile(): T {
    const text = readFileSync(this.path, 'utf8');
    const last = StateFile.lastRead.get(this.path);
    if (last?.text === text && last.schema === this.schema) return structuredClone(last.state as T);
    const state = this.schema.parse(JSON.parse(text));
    StateFile.lastRead.set(this.path, { text, schema: this.schema, state: structuredClone(state) });
    return state;
  }

  private writeFile(state: T, o: { unlessUnchanged?: boolean } = {}): void {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    if (o.unlessUnchanged && StateFile.lastRead.get(this.path)?.text === text) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  /** Create the lock file (holding our pid) if it is absent. A lock whose process is gone (killed
   * mid-command) is removed. Two processes removing the same stale lock at once could both
   * proceed: rare enough for a simulator. */
  private tryLock(): boolean {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(this.lockPath, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(this.lockPath, 'utf8'));
    } catch {
      return false; // released meanwhile: try again
    }
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // someone else removed it
      }
    }
    return false;
  }

  private lockSync(): void {
    const deadline = Date.now() + UPDATE_LOCK_WAIT_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!this.tryLock()) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.lockPath} is still held after ${UPDATE_LOCK_WAIT_MS} ms (another process is in a command)`,
        );
      Atomics.wait(pause, 0, 0, LOCK_POLL_MS);
    }
  }

  private unlock(): void {
    try {
      unlinkSync(this.lockPath);
    } catch {
      // already gone
    }
  }

  private static readonly queues = new Map<string, Promise<void>>();
  /** Paths whose lock a transaction of this process holds. */
  private static readonly held = new Set<string>();
}

const LOCK_POLL_MS = 5;
const UPDATE_LOCK_WAIT_MS = 30_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}
