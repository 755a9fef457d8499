import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmailSchema, SlugSchema } from './identifiers';
import { parseOrThrow, ValidationError } from './validation';

/** Where a secret lives; the value itself never enters the inventory, a plan or a history. */
export const SecretRefSchema = z
  .string()
  .regex(/^(env:[A-Z_][A-Z0-9_]*|file:\/.+)$/, 'expected a secret reference "env:NAME" or "file:/absolute/path"');
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const HostKeyFingerprintSchema = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected an OpenSSH SHA256 fingerprint such as "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"');

export const HsmSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  hostKeyFingerprint: HostKeyFingerprintSchema,
  model: z.string().default('Luna Network HSM 7 A790'),
  azureResourceId: z.string().startsWith('/subscriptions/', 'expected an ARM resource id starting with /subscriptions/').optional(),
  /** The on-prem backup device (key of `backupDevices`) this HSM's partitions are backed up to. */
  backupDevice: SlugSchema.optional(),
  credentials: z.partialRecord(z.enum(['tenantadmin', 'admin', 'operator', 'monitor', 'hsmSo', 'hsmDomain']), SecretRefSchema).refine(
    (c) => Object.keys(c).length > 0,
    'at least one credential reference is required',
  ),
});

/** A backup workstation with a Luna Backup HSM, reached over the VPN; LunaCM over SSH. */
export const BackupDeviceSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  hostKeyFingerprint: HostKeyFingerprintSchema,
  credentials: z.object({ backup: SecretRefSchema }),
  /** The NTLS client name the appliances know the workstation by (partitions are assigned to it). */
  clientName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/).default('backup-ws'),
});

/** A party outside the organisation whose sign-off a ceremony needs (Microsoft for firmware). */
export const ExternalSignerSchema = z.object({ name: z.string().min(1), contacts: z.array(EmailSchema).min(1) });

/** A pre-approval for routine ceremonies (scheduled backups), recorded as such in each run. */
export const StandingApprovalSchema = z.object({
  kind: z.enum(['backup']),
  hsm: SlugSchema.optional(),
  approvedBy: z.array(EmailSchema).min(1),
  reference: z.string().min(1).max(200),
  expires: z.iso.date('expected a date such as 2027-06-30'),
});

export const ApproverGroupSchema = z.object({
  description: z.string().optional(),
  members: z.array(EmailSchema).min(1),
});

export const InventorySchema = z
  .object({
    hsms: z.record(SlugSchema, HsmSchema).refine((h) => Object.keys(h).length > 0, 'at least one HSM is required'),
    backupDevices: z.record(SlugSchema, BackupDeviceSchema).default({}),
    approverGroups: z.record(SlugSchema, ApproverGroupSchema),
    operators: z.array(EmailSchema).min(1),
    /** Who receives a support request (e.g. a physical reboot of a hung appliance). */
    supportContacts: z.array(EmailSchema).default([]),
    externalSigners: z.record(SlugSchema, ExternalSignerSchema).default({}),
    standingApprovals: z.record(SlugSchema, StandingApprovalSchema).default({}),
    /** Dashboard logins of operators: `ceremony hash-password` prints a hash. */
    operatorLogins: z
      .record(EmailSchema, z.object({ passwordHash: z.string().regex(/^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/, 'expected a hash from `ceremony hash-password`') }))
      .default({}),
  })
  .strict()
  .superRefine((inv, ctx) => {
    for (const email of Object.keys(inv.operatorLogins)) {
      if (!inv.operators.includes(email)) ctx.addIssue({ code: 'custom', path: ['operatorLogins', email], message: `${email} is not in operators` });
    }
    for (const [name, hsm] of Object.entries(inv.hsms)) {
      if (hsm.backupDevice && !inv.backupDevices[hsm.backupDevice]) {
        ctx.addIssue({ code: 'custom', path: ['hsms', name, 'backupDevice'], message: `no backup device "${hsm.backupDevice}" in backupDevices` });
      }
    }
  });

export type Inventory = z.infer<typeof InventorySchema>;
export type HsmEntry = z.infer<typeof HsmSchema>;
export type BackupDeviceEntry = z.infer<typeof BackupDeviceSchema>;
export type StandingApproval = z.infer<typeof StandingApprovalSchema>;

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
    throw new ValidationError(path, [`cannot read the inventory file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseInventory(text, path);
}

export function hsmEntry(inventory: Inventory, ref: string): HsmEntry {
  const entry = inventory.hsms[ref];
  if (!entry) {
    throw new ValidationError('request', [`hsm: unknown HSM "${ref}"; the inventory has ${Object.keys(inventory.hsms).join(', ')}`]);
  }
  return entry;
}

export function approverGroup(inventory: Inventory, name: string): z.infer<typeof ApproverGroupSchema> {
  const group = inventory.approverGroups[name];
  if (!group) throw new ValidationError('inventory', [`approverGroups.${name}: the group is required by this ceremony but missing`]);
  return group;
}
