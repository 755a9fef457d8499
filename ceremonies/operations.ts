import { z } from 'zod';
import {
  AuthCode,
  BackupLabel,
  DedicatedHsmResourceId,
  FirmwareVersion,
  HostName,
  HsmSerial,
  LunaName,
  PackageFile,
  Sha256Hex,
} from './operation-args';
import { HSM_POLICY_CODES, hsmPolicy } from './hsm-policies';
import { durationMs } from './duration';
import { SlugSchema } from './identifiers';

// The operations a plan may name, declared once: name, argument schema, kind. A plan's steps are
// checked against it when the plan is built (`PlanSchema`), the kind decides which approvals the
// worker's policy asks for (`ceremonies/policy.ts`) and whether the step is irreversible, and
// `activities/ops` implements exactly these names with these arguments.

export const OPERATION_KINDS = ['read-only', 'reversible', 'irreversible', 'key-material'] as const;
/** read-only: reads state; reversible: changes state that can be changed back; irreversible:
 * destroys something for good (key material, the Azure resource, the firmware); key-material:
 * moves key material off the appliance (a backup). */
export type OperationKind = (typeof OPERATION_KINDS)[number];

const none = z.object({}).strict();
/** A secret reference as the inventory writes one (`SecretRefSchema`): a plan may name where a
 * secret is kept, never its value. */
const SecretRefArg = z
  .string()
  .max(300)
  .regex(
    /^(env:[A-Z_][A-Z0-9_]*|file:\/[^\s]+|keyvault:[A-Za-z0-9-]{3,24}\/[A-Za-z0-9-]{1,127})$/,
    'expected a secret reference (env:, file: or keyvault:)',
  );
/** `commandTimeout`: how long the operation's device command may take on a real appliance
 * (most answer in seconds; an init, a zeroize, a package update or the backup of a full
 * partition take minutes). Our estimates: Thales documents no upper bounds. */
/** An HSM policy change: a documented policy number (ceremonies/hsm-policies.ts), destructive or not. */
const policyChange = (destructive: boolean) =>
  z
    .object({ policy: z.number().int().min(0).max(99), value: z.number().int().min(0).max(1) })
    .strict()
    .refine((a) => hsmPolicy(a.policy) !== undefined, {
      message: `not an HSM policy the documentation lists (${HSM_POLICY_CODES})`,
      path: ['policy'],
    })
    .refine((a) => hsmPolicy(a.policy)?.destructive !== !destructive, {
      message: destructive
        ? 'not a destructive policy: use hsm.setPolicy'
        : 'a destructive policy (changing it erases every partition): use hsm.changeDestructivePolicy, which is irreversible',
      path: ['policy'],
    });

/** The network devices `ntls bind` takes (Thales, "Binding Your NTLS or SSH Traffic to a Device"). */
export const NTLS_DEVICES = ['eth0', 'eth1', 'eth2', 'eth3', 'bond0', 'bond1', 'all'] as const;

/** A restore's arguments: the target `partition`, the backup's `source` partition (and HSM), and
 * which backup: the plan's `label`, the label the required step `labelFrom` verified (a drill's
 * precheck picks the newest once, and its restore and comparison name that one), or else the
 * newest backup of `source`. */
const restoreArgs = z
  .object({
    partition: LunaName,
    source: LunaName,
    label: BackupLabel.optional(),
    labelFrom: SlugSchema.optional(),
    sourceHsm: SlugSchema.optional(),
    intoNonEmpty: z.boolean().default(false),
  })
  .strict()
  .refine((a) => !(a.label && a.labelFrom), {
    message: 'name the backup by label or by labelFrom, not both',
    path: ['labelFrom'],
  });

const op = <A extends z.ZodType>(kind: OperationKind, description: string, args: A, commandTimeout = '30s') => ({
  kind,
  description,
  args,
  commandTimeout,
});

export const OPERATIONS_CATALOGUE = {
  'ledger.record': op(
    'reversible',
    'Write an effect to the local ledger (stand-in device)',
    z.object({ key: SlugSchema, holdMs: z.number().int().min(0).max(60_000).default(0) }).strict(),
  ),
  'ledger.require': op(
    'read-only',
    'Check that the local ledger holds an effect with this key',
    z.object({ key: SlugSchema }).strict(),
  ),
  'hsm.show': op('read-only', 'Read the HSM state (label, serial, firmware, zeroized, partitions)', none),
  'hsm.checkZeroized': op(
    'read-only',
    'Check that the HSM is zeroized (a fresh unit), before a first initialisation',
    none,
  ),
  'hsm.verify': op(
    'read-only',
    'Check the HSM state: label, firmware, appliance software, zeroized',
    z
      .object({
        label: LunaName.optional(),
        firmware: FirmwareVersion.optional(),
        software: FirmwareVersion.optional(),
        zeroized: z.boolean().optional(),
      })
      .strict(),
  ),
  'hsm.changeInitialPassword': op(
    'reversible',
    "Change an appliance user's factory password at first login",
    z.object({ user: z.enum(['tenantadmin', 'admin', 'operator', 'monitor']).default('tenantadmin') }).strict(),
    '1m',
  ),
  'hsm.checkTime': op(
    'read-only',
    "Check the appliance's clock against the worker's, and its NTP synchronisation where NTP is enabled (sysconf ntp status)",
    z.object({ maxSkewSeconds: z.number().int().min(1).max(3600).default(60) }).strict(),
    '1m',
  ),
  /** `defaultDomain`: initialise with Thales' deprecated default cloning domain instead of the
   * inventory's `hsmDomain` secret; the plan says so, never the worker on its own. */
  'hsm.init': op(
    'reversible',
    'Initialise a zeroized HSM with a label, the HSM Administrator password and the HSM (admin partition) cloning domain',
    z.object({ label: LunaName, defaultDomain: z.boolean().default(false) }).strict(),
    '2m',
  ),
  'hsm.setPolicy': op(
    'reversible',
    'Set a non-destructive HSM policy (hsm changePolicy), as the HSM Administrator',
    policyChange(false),
  ),
  'hsm.changeDestructivePolicy': op(
    'irreversible',
    'Change a destructive HSM policy (hsm changePolicy): erases every partition (irreversible)',
    policyChange(true),
    '2m',
  ),
  'hsm.policyIs': op(
    'read-only',
    'Check that an HSM policy has a value (hsm showPolicies)',
    z.object({ policy: z.number().int().min(0).max(99), value: z.number().int().min(0).max(1) }).strict(),
  ),
  'hsm.configureSyslog': op(
    'reversible',
    'Send the appliance logs to a remote syslog host',
    z
      .object({
        host: HostName,
        port: z.number().int().min(1).max(65535).default(514),
        protocol: z.enum(['udp', 'tcp']).default('udp'),
      })
      .strict(),
  ),
  'appliance.rebootPatch': op(
    'read-only',
    'Check that the Luna Network HSM 7 Reboot Patch (Thales KB0019789) is installed where the appliance software is below 7.7.0 (package list), as Microsoft asks before any configuration',
    none,
  ),
  'ntls.certificateForUnit': op(
    'reversible',
    "Regenerate the NTLS server certificate for the unit's own address (sysconf regenCert), bind NTLS (ntls bind) and restart it (service restart ntls), unless server.pem already names the unit",
    z.object({ device: z.enum(NTLS_DEVICES).default('eth0') }).strict(),
    '2m',
  ),
  'ntls.rotationBaseline': op(
    'read-only',
    'Read the NTLS server certificate (server.pem: fingerprint, expiry) and the clients registered on the appliance (client list), before a certificate rotation',
    none,
  ),
  /** `baseline`: the step (required before this one) that read the certificate being replaced. */
  'ntls.rotateCertificate': op(
    'reversible',
    'Regenerate the NTLS server certificate (sysconf regenCert), bind NTLS (ntls bind) and restart it (service restart ntls), unless server.pem already differs from the one the baseline step read',
    z.object({ device: z.enum(NTLS_DEVICES).default('eth0'), baseline: SlugSchema }).strict(),
    '2m',
  ),
  /** `initRole`: (re-)initialise an Audit role whose password the secret store does not hold
   * (`audit init` destroys the existing role): only when the plan says so. */
  'hsm.configureAuditLogging': op(
    'reversible',
    'Initialise the HSM Audit role where needed (audit init, as the appliance audit user) and send the HSM audit log to a remote host (audit login, audit remotehost add)',
    z
      .object({
        host: HostName,
        port: z.number().int().min(1).max(65535).default(514),
        protocol: z.enum(['udp', 'tcp']).default('udp'),
        initRole: z.boolean().default(false),
      })
      .strict(),
    '1m',
  ),
  'partition.checkLicence': op(
    'read-only',
    'Check that the HSM licence allows more partitions (10 licensed by default, 100 at most)',
    z.object({ adding: z.number().int().min(1).max(100).default(1) }).strict(),
  ),
  'partition.create': op(
    'reversible',
    'Create an application partition',
    z.object({ partition: LunaName }).strict(),
    '1m',
  ),
  'partition.present': op(
    'read-only',
    'Check that a partition is listed on the HSM',
    z.object({ partition: LunaName }).strict(),
  ),
  'client.register': op(
    'reversible',
    "Upload a client's NTLS certificate (checked against its sha256) as <host>.pem, register the client (client register -hostname) and map its IP address (client hostip map) when given",
    z.object({ client: LunaName, host: HostName, certSha256: Sha256Hex, ip: z.ipv4().optional() }).strict(),
    '1m',
  ),
  'ntls.serverCertificate': op(
    'read-only',
    "Fetch the appliance's NTLS server certificate (server.pem) for the client's vtl addServer",
    // domainRef: where the partition's cloning domain is kept (a secret reference, never its value)
    z
      .object({
        client: LunaName,
        host: HostName,
        partition: LunaName,
        cloning: z.boolean().default(false),
        domainRef: SecretRefArg.optional(),
      })
      .strict(),
  ),
  'partition.assignClient': op(
    'reversible',
    'Assign a partition to a registered client (client assignPartition)',
    z.object({ client: LunaName, host: HostName, partition: LunaName }).strict(),
  ),
  'hsm.exportLogs': op(
    'read-only',
    'Keep the appliance logs an auditor wants (syslog, lunash command log, HSM audit log) as evidence, bounded',
    z
      .object({ entries: z.number().int().min(1).max(2000).default(500), auditLogs: z.boolean().default(false) })
      .strict(),
    '2m',
  ),
  'partition.revokeClient': op(
    'reversible',
    "Revoke a client's access to a partition, if the ceremony's step `assignedBy` gave it (it is left as it was otherwise)",
    z.object({ client: LunaName, partition: LunaName, assignedBy: SlugSchema }).strict(),
  ),
  'hsm.zeroize': op(
    'irreversible',
    'Zeroize the HSM: destroys every partition and all key material (irreversible)',
    none,
    '5m',
  ),
  'firmware.onTarget': op(
    'read-only',
    'Whether the appliance already runs the target firmware (and the appliance software that carries it)',
    z.object({ targetFirmware: FirmwareVersion, targetSoftware: FirmwareVersion.optional() }).strict(),
  ),
  'firmware.upgradePath': op(
    'read-only',
    'Check that the documentation allows the upgrade from the installed firmware and software to the target, and that its prerequisites are installed',
    z.object({ targetFirmware: FirmwareVersion }).strict(),
  ),
  'appliance.singleDefaultRoute': op(
    'read-only',
    'Check that the appliance has exactly one default route (network route show)',
    none,
  ),
  'firmware.upload': op(
    'reversible',
    'Check an update package against its sha256 and copy it to the appliance with scp',
    z.object({ file: PackageFile, sha256: Sha256Hex }).strict(),
    '10m',
  ),
  'package.verify': op(
    'read-only',
    "Check an uploaded package's signature with its authorisation code (package verify)",
    z.object({ file: PackageFile, authCode: AuthCode }).strict(),
    '5m',
  ),
  'package.update': op(
    'irreversible',
    'Install an uploaded appliance software package (one-way: the software cannot be downgraded); it runs after a reboot and stages its firmware',
    z.object({ file: PackageFile, authCode: AuthCode, targetFirmware: FirmwareVersion }).strict(),
    '20m',
  ),
  'firmware.upgrade': op(
    'irreversible',
    'Upgrade the HSM firmware to the staged image (hsm firmware upgrade; going back zeroizes the HSM), only on the appliance software that carries it',
    z.object({ targetFirmware: FirmwareVersion, targetSoftware: FirmwareVersion }).strict(),
    '3h',
  ),
  'firmware.hsmRestarted': op(
    'read-only',
    'Wait until the HSM, restarting by itself after hsm firmware upgrade, answers hsm show on the target firmware',
    z.object({ targetFirmware: FirmwareVersion, waitSeconds: z.number().int().min(1).max(7200).default(600) }).strict(),
  ),
  'clients.registered': op(
    'read-only',
    'Read the NTLS clients registered on the appliance (client list), to name them to the owners who stop their traffic',
    none,
  ),
  'ha.exclusive': op(
    'read-only',
    "Check, in Temporal's visibility, that no other open maintenance ceremony holds a member of this HSM's HA group (docs/ha-maintenance.md)",
    z.object({ group: SlugSchema }).strict(),
  ),
  'appliance.reboot': op(
    'reversible',
    'Reboot the appliance and wait until it answers again',
    z
      .object({
        expectFirmware: FirmwareVersion.optional(),
        expectSoftware: FirmwareVersion.optional(),
        waitSeconds: z.number().int().min(1).max(7200).default(600),
      })
      .strict(),
  ),
  'vpn.check': op(
    'read-only',
    "Check the backup path: the worker reaches the backup workstation's SSH over the VPN, and the workstation reaches the HSM's NTLS port",
    z
      .object({
        timeoutMs: z.number().int().min(100).max(60_000).default(5000),
        tries: z.number().int().min(1).max(10).default(3),
      })
      .strict(),
  ),
  'backup.partition': op(
    'key-material',
    'Back up an HSM partition with LunaCM on the backup workstation, as its Crypto Officer, to the Luna Backup HSM (over the VPN)',
    z.object({ partition: LunaName, label: BackupLabel.optional() }).strict(),
    '30m',
  ),
  'backup.verify': op(
    'read-only',
    'Check that the backup on the Backup HSM holds as many objects as its source partition',
    z.object({ partition: LunaName, label: BackupLabel.optional() }).strict(),
  ),
  'backup.compatible': op(
    'read-only',
    "Check that the documentation allows backing up this HSM's partitions to the Backup HSM: the HSM's firmware (or partitionFirmware, e.g. an upgrade's target), the Backup HSM's model and firmware and the workstation's Luna client version (ceremonies/backup-compatibility.ts)",
    z.object({ partitionFirmware: FirmwareVersion.optional() }).strict(),
  ),
  'backup.recent': op(
    'read-only',
    'Check that every partition has a complete backup, named for this HSM and partition, newer than N days',
    z.object({ maxAgeDays: z.number().int().min(1).max(365) }).strict(),
  ),
  'backup.retentionHolds': op(
    'read-only',
    "List the partitions' backups on the Backup HSM (partition archive list) and say which are past the retention and not protected (the newest complete one, the newest a drill proved restorable): present when none is",
    z
      .object({
        /** comma-separated */ partitions: z.string().min(1).max(512),
        retentionDays: z.number().int().min(1).max(3650),
      })
      .strict(),
  ),
  'backup.deleteExpired': op(
    'irreversible',
    'Delete from the Backup HSM (partition archive delete, as its SO) the backups of these partitions that are past the retention and not protected, as a fresh partition archive list shows them',
    z
      .object({
        /** comma-separated */ partitions: z.string().min(1).max(512),
        retentionDays: z.number().int().min(1).max(3650),
      })
      .strict(),
    '10m',
  ),
  'restore.compatible': op(
    'read-only',
    "Check before any gate that a restore can work: the backup (the plan's label, or the newest of the source partition) is on the Backup HSM and holds objects, the target partition exists and is empty (unless intoNonEmpty), the firmware and client versions allow it, and the inventory gives the target the source partition's cloning domain",
    z
      .object({
        partition: LunaName,
        source: LunaName,
        label: BackupLabel.optional(),
        sourceHsm: SlugSchema.optional(),
        intoNonEmpty: z.boolean().default(false),
      })
      .strict(),
    '1m',
  ),
  'backup.restore': op(
    'key-material',
    "Restore a backup partition of the Luna Backup HSM (the plan's label, the one the step `labelFrom` chose, or the newest of the source partition) into a partition, with LunaCM on the backup workstation as the partition's Crypto Officer",
    restoreArgs,
    '30m',
  ),
  'restore.verify': op(
    'read-only',
    'Check that the restored partition holds as many objects as the backup it was restored from (at least as many, when it held objects before)',
    restoreArgs,
  ),
  'scratch.clear': op(
    'reversible',
    "Delete every object of one of the inventory's scratch partitions (LunaCM partition clear, as its Crypto Officer): a restore drill's copy, still on the Backup HSM",
    z.object({ partition: LunaName }).strict(),
    '5m',
  ),
  'approval.standing': op(
    'read-only',
    'Check that a standing pre-approval (inventory standingApprovals) covers this run',
    z
      .object({
        id: SlugSchema,
        /** the run's partitions, comma-separated: the approval must name each */ partitions: z
          .string()
          .min(1)
          .max(512)
          .optional(),
      })
      .strict(),
  ),
  'azure.matchesAppliance': op(
    'read-only',
    "Check that the Azure resource is this appliance: its private IP is the address the worker reaches, which reports the inventory's serial",
    z.object({ resourceId: DedicatedHsmResourceId, serial: HsmSerial }).strict(),
  ),
  'azure.deleteDedicatedHsm': op(
    'irreversible',
    'Deprovision the Dedicated HSM in Azure (ARM DELETE), only when the HSM is zeroized',
    z
      .object({
        resourceId: DedicatedHsmResourceId,
        serial: HsmSerial.optional(),
        pollMs: z.number().int().min(50).max(60_000).default(5000),
      })
      .strict(),
    '25m',
  ),
};

export type OperationName = keyof typeof OPERATIONS_CATALOGUE;

/** How long an operation's device command may take, in ms. */
export function commandTimeoutMs(name: OperationName): number {
  return durationMs(OPERATIONS_CATALOGUE[name].commandTimeout);
}
/** The arguments an operation receives (defaults applied). */
export type OperationArgs<N extends OperationName> = z.infer<(typeof OPERATIONS_CATALOGUE)[N]['args']>;
/** The arguments a plan may write for it (defaults may be left out). */
export type OperationArgsInput<N extends OperationName> = z.input<(typeof OPERATIONS_CATALOGUE)[N]['args']>;
export const OPERATION_NAMES = Object.keys(OPERATIONS_CATALOGUE) as OperationName[];

export function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(OPERATIONS_CATALOGUE, name);
}

/** The kind of a known operation; undefined for any other name (looked up as an own property). */
export function operationKind(name: string): OperationKind | undefined {
  return isOperationName(name) ? OPERATIONS_CATALOGUE[name].kind : undefined;
}

/** Problems with `args` for operation `name` (unknown operation, or arguments it refuses). */
export function operationArgsProblems(name: string, args: unknown): { path: (string | number)[]; message: string }[] {
  if (!isOperationName(name)) return [{ path: ['op'], message: `unknown operation "${name}"` }];
  const parsed = OPERATIONS_CATALOGUE[name].args.safeParse(args);
  return parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: ['args', ...(i.path as (string | number)[])], message: i.message }));
}
