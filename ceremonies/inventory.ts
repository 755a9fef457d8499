import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmailSchema, SlugSchema } from './identifiers';
import { HostName, HsmSerial, LunaName, Sha256Hex } from './operation-args';
import { OPERATION_KINDS } from './operations';
import { nullPrototype, own } from './own';
import { CeremonyKindSchema } from './plan';
import { parseOrThrow, ValidationError } from './validation';
import { effectiveRule, ruleUnmetBy } from './rules';
import { SecretRefSchema } from './secret-ref';

/** A record parsed from the inventory: own keys only (no prototype), so no lookup by a name
 * from a request can find `constructor` or `__proto__`. */
const ownRecord = <K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) =>
  z.record(key, value).transform((r) => nullPrototype(r as Record<string, z.infer<V>>));

export { SecretRefSchema, type SecretRef } from './secret-ref';

export const HostKeyFingerprintSchema = z
  .string()
  .regex(
    /^SHA256:[A-Za-z0-9+/]{43}=?$/,
    'expected an OpenSSH SHA256 fingerprint such as "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"',
  );

/** An Ed25519 public key: `ed25519:` and the 32 raw bytes in base64url (`ceremony keygen` prints one). */
export const PublicKeySchema = z
  .string()
  .regex(
    /^ed25519:[A-Za-z0-9_-]{43}$/,
    'expected an Ed25519 public key "ed25519:<43 base64url characters>" (ceremony keygen prints one)',
  );

/** Who must approve before a step of one operation kind runs: `quorum` distinct members of each group. */
export const ApprovalRuleSchema = z
  .object({
    quorum: z.number().int().min(1).max(20),
    groups: z
      .array(SlugSchema)
      .min(1)
      .refine((g) => new Set(g).size === g.length, 'groups must be distinct'),
  })
  .strict();
/** The two-person rule: nothing irreversible and no key material leaves without two people. */
const TwoPersonRuleSchema = ApprovalRuleSchema.refine((r) => r.quorum >= 2, {
  message: 'the two-person rule: at least 2',
  path: ['quorum'],
});
const OptionalRuleSchema = z.union([z.literal('none'), ApprovalRuleSchema]);

/** Per operation kind, the approvals a plan must gather before such a step. */
export const PolicySchema = z
  .object({
    'read-only': OptionalRuleSchema.default('none'),
    reversible: OptionalRuleSchema,
    irreversible: TwoPersonRuleSchema,
    'key-material': TwoPersonRuleSchema,
  })
  .strict();
export const PolicyOverrideSchema = z
  .object({
    'read-only': OptionalRuleSchema,
    reversible: OptionalRuleSchema,
    irreversible: TwoPersonRuleSchema,
    'key-material': TwoPersonRuleSchema,
  })
  .partial()
  .strict();
export type ApprovalRule = z.infer<typeof ApprovalRuleSchema>;
export type Policy = z.infer<typeof PolicySchema>;

export const HsmSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  hostKeyFingerprint: HostKeyFingerprintSchema,
  model: z.string().default('Luna Network HSM 7 A790'),
  azureResourceId: z
    .string()
    .startsWith('/subscriptions/', 'expected an ARM resource id starting with /subscriptions/')
    .optional(),
  /** What the unit is: an Azure Dedicated HSM (Microsoft does not expose `hsm zeroize` there: it
   * zeroizes by failed HSM SO logins, microsoft/AzureHSMEssentials uninstall README) or a Luna
   * Network HSM 7 of one's own (`hsm zeroize`). Azure by default: its zeroize works on both. */
  platform: z.enum(['azure-dedicated-hsm', 'luna-network-hsm']).default('azure-dedicated-hsm'),
  /** The serial `hsm show` reports for this appliance: ARM does not expose it, so the inventory
   * records which appliance its `azureResourceId` is (checked before a zeroize-deprovision). */
  serial: HsmSerial.optional(),
  /** The on-prem backup device (key of `backupDevices`) this HSM's partitions are backed up to. */
  backupDevice: SlugSchema.optional(),
  /** How many days a backup of this HSM's partitions is kept on its Backup HSM (the
   * backup-retention ceremony deletes older ones, never the newest complete one nor the newest a
   * drill proved restorable). Without it, backup-retention refuses to run for this HSM. */
  backupRetentionDays: z.number().int().min(1).max(3650).optional(),
  /** Passwords of appliance users and the HSM roles; `<user>Key`: a private key (PEM) the user
   * logs in with instead of a password (Luna: `sysconf ssh publickey add`). */
  /** `audit`: the appliance's audit user, who reads the HSM audit log (`audit log` commands).
   * `auditRole`, `auditDomain`: the HSM Audit role's password (generated and stored by hsm-init
   * when absent) and its audit domain (`audit init`), for hsm-init's `auditHost`. */
  credentials: z
    .partialRecord(
      z.enum([
        'tenantadmin',
        'admin',
        'operator',
        'monitor',
        'audit',
        'hsmSo',
        'hsmDomain',
        'tenantadminKey',
        'adminKey',
        'auditRole',
        'auditDomain',
      ]),
      SecretRefSchema,
    )
    .refine((c) => Object.keys(c).length > 0, 'at least one credential reference is required'),
  /** Stricter (or looser) rules for this HSM than the inventory's `policy`, per operation kind. */
  policy: PolicyOverrideSchema.optional(),
  /** Per partition, its Crypto Officer's password: a backup logs in as the partition's CO (LunaCM
   * `role login -name co` on the backup workstation). Looked up as own properties only.
   * `domain`: the partition's own cloning domain, which its owner chose at `partition init ...
   * -domain` (Thales, LunaSH/LunaCM `partition init`: each application partition has its own; the
   * HSM's domain set by `hsm init` is the admin partition's): the backup answers it. */
  partitionCredentials: ownRecord(
    LunaName,
    z.object({ co: SecretRefSchema, domain: SecretRefSchema.optional() }).strict(),
  ).optional(),
  /** Scratch partitions a restore drill restores into, compares and clears again (LunaCM
   * `partition clear`): each an application partition of this HSM kept for drills only, with its
   * Crypto Officer and cloning domain in `partitionCredentials` like any other. A backup restores
   * only into a partition of its own cloning domain (Thales, "Backup/Restore Using Client-Connected
   * Luna Backup HSM 7"), so a drill of partition P uses the scratch partition whose `domain`
   * reference is P's: one scratch partition per cloning domain. Nothing else is ever cleared. */
  scratchPartitions: z.array(LunaName).min(1).optional(),
  /** Where the backup workstation reaches the appliance's NTLS service (Luna clients: port 1792),
   * when not at `host`. */
  ntls: z
    .object({ host: HostName.optional(), port: z.number().int().min(1).max(65535).default(1792) })
    .strict()
    .default({ port: 1792 }),
});

/** A backup workstation with a Luna Backup HSM, reached over the VPN; LunaCM over SSH. */
export const BackupDeviceSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  hostKeyFingerprint: HostKeyFingerprintSchema,
  credentials: z
    .object({
      /** The workstation's OS login (password or private key). */
      backup: SecretRefSchema.optional(),
      backupKey: SecretRefSchema.optional(),
      /** The Luna Backup HSM's SO password (asked by `partition archive backup` when it creates
       * the backup partition). */
      backupHsmSo: SecretRefSchema.optional(),
      /** Retired: a backup partition gets the domain of the partition it backs up (Thales,
       * `partition archive backup`: a domain that does not match the source partition's leaves an
       * empty backup partition), which the inventory names per partition. */
      backupDomain: z
        .unknown()
        .optional()
        .refine(
          (v) => v === undefined,
          'retired: a backup answers the domain of the partition it backs up; name it as hsms.<hsm>.partitionCredentials.<partition>.domain and remove backupDomain',
        ),
    })
    .strict()
    .refine(
      (c) => c.backup !== undefined || c.backupKey !== undefined,
      'a backup password or a backupKey reference is required',
    ),
  /** The workstation's OS login user (its password or key: `credentials.backup` / `backupKey`). */
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'expected a POSIX user name such as "backup"')
    .default('backup'),
  /** The name the appliances know the workstation's host by: its NTLS certificate is uploaded as
   * `<clientHost>.pem` and registered with `client register -hostname <clientHost>`
   * (default: `host`). */
  clientHost: HostName.optional(),
  /** The workstation's IP address as the appliance sees it, mapped with `client hostip map` when
   * the client is registered by host name (microsoft/AzureHSMEssentials, activating a Dedicated HSM). */
  clientIp: z.ipv4().optional(),
  /** The NTLS client name the appliances know the workstation by (partitions are assigned to it). */
  clientName: LunaName.default('backup-ws'),
  /** How the workstation's shell starts LunaCM (on PATH, or its full path). */
  lunacm: z
    .string()
    .regex(/^[A-Za-z0-9_./-]{1,200}$/, 'expected a command or a path such as /usr/safenet/lunaclient/bin/lunacm')
    .default('lunacm'),
});

/** An NTLS client's certificate (public, not a secret): the file the worker uploads to the
 * appliance before `client register`, and its sha256, which the plan carries for the approvers. */
export const ClientCertificateSchema = z
  .object({
    certificate: z
      .string()
      .regex(/^file:\/.+\.pem$/, 'expected a "file:/absolute/path.pem" reference to the PEM certificate'),
    sha256: Sha256Hex,
    /** Who runs the client (its Luna HSM Client): told the commands to trust the appliance again
     * when its NTLS server certificate changes (ntls-certificate-rotation). */
    owners: z.array(EmailSchema).min(1).optional(),
  })
  .strict();

/** A party outside the organisation whose sign-off a ceremony needs (Microsoft for firmware). */
export const ExternalSignerSchema = z.object({ name: z.string().min(1), contacts: z.array(EmailSchema).min(1) });

/** A pre-approval for routine ceremonies (scheduled backups), recorded as such in each run. It
 * stands in for the gates of the operation kinds it names, never for an irreversible one. */
export const StandingApprovalSchema = z
  .object({
    /** The ceremony kind it covers. */
    ceremony: CeremonyKindSchema,
    hsm: SlugSchema,
    /** The operation kinds whose approval it gives in advance. */
    kinds: z
      .array(
        z.enum(OPERATION_KINDS).refine((k) => k !== 'irreversible', 'an irreversible step always needs its own gate'),
      )
      .min(1),
    approvedBy: z.array(EmailSchema).min(1),
    reference: z.string().min(1).max(200),
    expires: z.iso.date('expected a date such as 2027-06-30'),
    /** The parameters it covers, and only those: the partitions a run may back up and the backup
     * device they go to (the HSM's `backupDevice`). A run naming any other is refused. */
    params: z
      .object({
        partitions: z.array(LunaName).min(1),
        backupDevice: SlugSchema,
      })
      .strict(),
  })
  .strict()
  .refine((a) => a.ceremony === 'backup' || a.ceremony === 'restore-drill', {
    message: 'a standing approval covers backups and restore drills only (the parameters it names are theirs)',
    path: ['ceremony'],
  });

export const ApproverGroupSchema = z.object({
  description: z.string().optional(),
  members: z.array(EmailSchema).min(1),
});

/** An HA group of partitions on several HSMs (LunaCM `hagroup`, run by the group's owners on their
 * client hosts): a maintenance ceremony on a member asks the owners to take it out of the group
 * first, and never runs on two members at once (docs/ha-maintenance.md). */
export const HaGroupSchema = z
  .object({
    /** The HSMs (keys of `hsms`) whose partitions are members of the group. */
    members: z
      .array(SlugSchema)
      .min(1)
      .refine((m) => new Set(m).size === m.length, 'members must be distinct'),
    /** Who runs LunaCM on the group's clients: they acknowledge a member taken out and put back. */
    owners: z
      .array(EmailSchema)
      .min(1)
      .refine((o) => new Set(o).size === o.length, 'owners must be distinct'),
    /** The group's label in LunaCM (`hagroup createGroup -label`), when not the key. */
    label: LunaName.optional(),
  })
  .strict();

export const InventorySchema = z
  .object({
    hsms: ownRecord(SlugSchema, HsmSchema).refine((h) => Object.keys(h).length > 0, 'at least one HSM is required'),
    backupDevices: ownRecord(SlugSchema, BackupDeviceSchema).default(nullPrototype({})),
    approverGroups: ownRecord(SlugSchema, ApproverGroupSchema),
    /** What each operation kind needs approved before it runs (the worker enforces it). */
    policy: PolicySchema,
    /** Ed25519 public keys per person: a decision made with `ceremony approve --key` is signed
     * with one of these. Several keys per person let keys rotate. */
    signingKeys: ownRecord(EmailSchema, z.array(PublicKeySchema).min(1)).default(nullPrototype({})),
    /** Public keys of the web app: a decision they sign came through an emailed link it checked. */
    attestationKeys: z.array(PublicKeySchema).default([]),
    operators: z.array(EmailSchema).min(1),
    /** Who receives a support request (e.g. a physical reboot of a hung appliance). */
    supportContacts: z.array(EmailSchema).default([]),
    externalSigners: ownRecord(SlugSchema, ExternalSignerSchema).default(nullPrototype({})),
    /** NTLS client certificates by client name (partition-create uploads them). */
    clientCertificates: ownRecord(LunaName, ClientCertificateSchema).default(nullPrototype({})),
    standingApprovals: ownRecord(SlugSchema, StandingApprovalSchema).default(nullPrototype({})),
    /** HA groups the HSMs' partitions belong to (an HSM in at most one): see `HaGroupSchema`. */
    haGroups: ownRecord(SlugSchema, HaGroupSchema).default(nullPrototype({})),
    /** Dashboard logins of operators: `ceremony hash-password` prints a hash. */
    operatorLogins: ownRecord(
      EmailSchema,
      z.object({
        passwordHash: z
          .string()
          .regex(/^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'expected a hash from `ceremony hash-password`'),
      }),
    ).default(nullPrototype({})),
  })
  .strict()
  .superRefine((inv, ctx) => {
    for (const email of Object.keys(inv.operatorLogins)) {
      if (!inv.operators.includes(email))
        ctx.addIssue({ code: 'custom', path: ['operatorLogins', email], message: `${email} is not in operators` });
    }
    for (const [name, hsm] of Object.entries(inv.hsms)) {
      if (hsm.backupDevice && !own(inv.backupDevices, hsm.backupDevice)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hsms', name, 'backupDevice'],
          message: `no backup device "${hsm.backupDevice}" in backupDevices`,
        });
      }
      if (hsm.azureResourceId && hsm.platform !== 'azure-dedicated-hsm') {
        ctx.addIssue({
          code: 'custom',
          path: ['hsms', name, 'platform'],
          message: `an HSM with an azureResourceId is an Azure Dedicated HSM: platform must be azure-dedicated-hsm, not ${hsm.platform}`,
        });
      }
    }
    const groupOf = new Map<string, string>();
    for (const [name, group] of Object.entries(inv.haGroups)) {
      // an HA gate is decided by the group's owners under the group's name: it must not be an approver group's
      if (own(inv.approverGroups, name))
        ctx.addIssue({
          code: 'custom',
          path: ['haGroups', name],
          message: `"${name}" is also an approver group: name the HA group otherwise`,
        });
      group.members.forEach((member, i) => {
        if (!own(inv.hsms, member))
          ctx.addIssue({
            code: 'custom',
            path: ['haGroups', name, 'members', i],
            message: `no HSM "${member}" in hsms`,
          });
        const other = groupOf.get(member);
        if (other && other !== name)
          ctx.addIssue({
            code: 'custom',
            path: ['haGroups', name, 'members', i],
            message: `${member} is already a member of HA group ${other}: an HSM belongs to one HA group at most`,
          });
        groupOf.set(member, name);
      });
    }
    const checkRules = (policy: Partial<Policy> | undefined, path: (string | number)[]) => {
      for (const [kind, rule] of Object.entries(policy ?? {})) {
        if (rule === 'none' || !rule) continue;
        rule.groups.forEach((group, i) => {
          const members = own(inv.approverGroups, group)?.members;
          if (!members)
            ctx.addIssue({
              code: 'custom',
              path: [...path, kind, 'groups', i],
              message: `no group "${group}" in approverGroups`,
            });
          else if (members.length < rule.quorum)
            ctx.addIssue({
              code: 'custom',
              path: [...path, kind, 'quorum'],
              message: `group "${group}" has ${members.length} members, fewer than the quorum ${rule.quorum}`,
            });
        });
      }
    };
    checkRules(inv.policy, ['policy']);
    for (const [name, hsm] of Object.entries(inv.hsms)) checkRules(hsm.policy, ['hsms', name, 'policy']);
    for (const [id, standing] of Object.entries(inv.standingApprovals)) {
      const hsm = own(inv.hsms, standing.hsm);
      if (!hsm) {
        ctx.addIssue({
          code: 'custom',
          path: ['standingApprovals', id, 'hsm'],
          message: `no HSM "${standing.hsm}" in hsms`,
        });
        continue;
      }
      for (const kind of standing.kinds) {
        const problem = ruleUnmetBy(effectiveRule(inv, standing.hsm, kind), standing.approvedBy, inv);
        if (problem)
          ctx.addIssue({
            code: 'custom',
            path: ['standingApprovals', id, 'approvedBy'],
            message: `not enough for ${kind} steps on ${standing.hsm}: ${problem}`,
          });
      }
    }
  });

export type Inventory = z.infer<typeof InventorySchema>;
export type HsmEntry = z.infer<typeof HsmSchema>;

export function parseInventory(yamlText: string, source = 'inventory'): Inventory {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (err) {
    throw new ValidationError(source, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseOrThrow(InventorySchema, raw, source);
}

export function loadInventory(path: string): Inventory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(path, [
      `cannot read the inventory file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return parseInventory(text, path);
}

// which approvals an operation kind needs, and whether approvers meet them: ceremonies/rules.ts
export { effectiveRule, ruleUnmetBy };

export function hsmEntry(inventory: Inventory, ref: string): HsmEntry {
  const entry = own(inventory.hsms, ref);
  if (!entry) {
    throw new ValidationError('request', [
      `hsm: unknown HSM "${ref}"; the inventory has ${Object.keys(inventory.hsms).join(', ')}`,
    ]);
  }
  return entry;
}

export function approverGroup(inventory: Inventory, name: string): z.infer<typeof ApproverGroupSchema> {
  const group = own(inventory.approverGroups, name);
  if (!group)
    throw new ValidationError('inventory', [
      `approverGroups.${name}: the group is required by this ceremony but missing`,
    ]);
  return group;
}

/** The HA group an HSM belongs to (its name and entry), or undefined. */
export function haGroupOf(
  inventory: Pick<Inventory, 'haGroups'>,
  hsm: string,
): { name: string; group: z.infer<typeof HaGroupSchema> } | undefined {
  for (const [name, group] of Object.entries(inventory.haGroups ?? {})) {
    if (group.members.includes(hsm)) return { name, group };
  }
  return undefined;
}
