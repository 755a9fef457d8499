import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const DEFAULT_TENANTADMIN_PASSWORD = 'PASSWORD';

export const UserSchema = z.object({
  role: z.enum(['admin', 'operator', 'monitor']),
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
});

export const ClientSchema = z.object({ name: z.string(), host: z.string(), partitions: z.array(z.string()) });

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
  licence: z.object({ licensedPartitions: z.number().int().default(10), maxPartitions: z.number().int().default(100) }).default({ licensedPartitions: 10, maxPartitions: 100 }),
  policies: z.record(z.string(), z.string()).default({}),
  syslogHosts: z.array(z.object({ host: z.string(), port: z.number().int(), protocol: z.enum(['udp', 'tcp']) })).default([]),
  stcEnabled: z.boolean().default(true),
  /** Azure Dedicated HSM disables `hsm zeroize`: three failed HSM Administrator logins zeroize. */
  zeroizeDisabled: z.boolean().default(false),
  /** Uploaded, authorised update packages waiting for a reboot: name -> target firmware. */
  pendingUpdate: z.object({ file: z.string(), firmware: z.string() }).nullable().default(null),
  /** Files in the admin's scp area (package uploads land here). */
  files: z.record(z.string(), z.object({ sha256: z.string(), size: z.number().int() })).default({}),
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
    },
  });
}

/** The state file is the appliance: every command reads it and writes it back, so the simulator
 * CLI (e.g. `power-cycle`) and tests can inspect and change it while the server runs. */
export class StateFile<T> {
  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  read(): T {
    return this.schema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
  }

  write(state: T): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.path);
  }

  update<R>(fn: (state: T) => R): R {
    const state = this.read();
    const result = fn(state);
    this.write(state);
    return result;
  }

  /** Read, change (possibly waiting, e.g. on a confirmation prompt) and write back, one session
   * at a time: sessions of one device interleave their awaits, and without this a command could
   * write back a state read before another session's change and lose it. */
  async transaction<R>(fn: (state: T) => Promise<R> | R): Promise<R> {
    const previous = StateFile.queues.get(this.path) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    StateFile.queues.set(this.path, tail);
    await previous;
    try {
      const state = this.read();
      const result = await fn(state);
      this.write(state);
      return result;
    } finally {
      release();
      if (StateFile.queues.get(this.path) === tail) StateFile.queues.delete(this.path);
    }
  }

  private static readonly queues = new Map<string, Promise<void>>();
}
