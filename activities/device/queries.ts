import { X509Certificate } from 'node:crypto';
import type { DeviceAccess } from './device-access';
import { UnreadableOutput, VerificationFailed } from './errors';
import {
  parseArchiveList,
  parseAuditLogList,
  parseClientFingerprint,
  parseClientShow,
  parseDefaultRoutes,
  parseFirmwareShow,
  parseHsmShow,
  parseNtpStatus,
  parsePackageFiles,
  parsePackageList,
  parsePartitionList,
  parsePolicies,
  parseSlotList,
  parseStcStatus,
  parseSyslogRemoteHosts,
  type HsmShow,
} from './lunash-parser';

/** Read-only lunash and LunaCM queries shared by the operations. Each returns what the device
 * said or throws UnreadableOutput (non-retryable; the output is in the transcript): a probe never
 * takes an answer it could not read for "absent". */

export async function readHsmShow(d: DeviceAccess): Promise<HsmShow> {
  return parseHsmShow((await d.run('hsm show')).output);
}

/** The HSM SO's login attempts left before the HSM zeroizes, as `hsm show` prints them; null
 * when it says the HSM is zeroized. A line it cannot read throws UnreadableOutput: never a guess. */
export async function readSoLoginAttemptsLeft(d: DeviceAccess): Promise<number | null> {
  return (await readHsmShow(d)).soLoginAttemptsLeft;
}

export async function readPartitions(d: DeviceAccess): Promise<{ serial: string; name: string; objects: number }[]> {
  return parsePartitionList((await d.run('partition list')).output);
}

/** The partitions assigned to a client; null when the client is not registered. */
export async function readClientPartitions(d: DeviceAccess, client: string): Promise<string[] | null> {
  const command = `client show -client ${client}`;
  const out = await d.run(command, { allowError: true });
  if (out.errors.some((e) => e.name === 'RC_OBJECT_NOT_IN_LIST')) return null;
  if (out.code !== 0) await d.run(command); // raise the device's error
  return parseClientShow(out.output, client);
}

/** The fingerprint of a registered client's certificate; null when the client is not registered. */
export async function readClientFingerprint(d: DeviceAccess, client: string): Promise<string | null> {
  const command = `client fingerprint -client ${client}`;
  const out = await d.run(command, { allowError: true });
  if (out.errors.some((e) => e.name === 'RC_OBJECT_NOT_IN_LIST')) return null;
  if (out.code !== 0) await d.run(command); // raise the device's error
  return parseClientFingerprint(out.output);
}

export async function readNtpStatus(d: DeviceAccess) {
  return parseNtpStatus((await d.run('sysconf ntp status')).output);
}

/** The HSM audit log files, read as the appliance's audit user. */
export async function readAuditLogs(d: DeviceAccess) {
  return parseAuditLogList((await d.runAs('audit', 'audit log list')).output);
}

export async function readSyslogHosts(d: DeviceAccess) {
  return parseSyslogRemoteHosts((await d.run('syslog remotehost list')).output);
}

export async function readPolicies(d: DeviceAccess) {
  return parsePolicies((await d.run('hsm showPolicies')).output);
}

export async function readPackageFiles(d: DeviceAccess) {
  return parsePackageFiles((await d.run('package listfile')).output);
}

export async function readInstalledPackages(d: DeviceAccess): Promise<string[]> {
  return parsePackageList((await d.run('package list')).output);
}

export async function readFirmwareShow(d: DeviceAccess) {
  return parseFirmwareShow((await d.run('hsm firmware show')).output);
}

export async function readStcStatus(d: DeviceAccess) {
  return parseStcStatus((await d.run('hsm stc status')).output);
}

export async function readDefaultRoutes(d: DeviceAccess) {
  return parseDefaultRoutes((await d.run('network route show')).output);
}

/** LunaCM's reads answer at once, whatever the operation's long command may take. */
const LUNACM_READ_MS = 30_000;

/** LunaCM on the backup workstation: its slots (the appliance partitions assigned to it over
 * NTLS, and the Luna Backup HSM). */
export async function readSlots(d: DeviceAccess) {
  return parseSlotList((await d.run('slot list', { timeoutMs: LUNACM_READ_MS })).output);
}

/** The Luna Backup HSM's slot: the one slot whose model or description says Backup HSM. */
export function backupHsmSlot(slots: { id: number; model: string; description: string }[], where: string): number {
  const found = slots.filter((s) => /backup/i.test(`${s.model} ${s.description}`));
  if (found.length === 1) return found[0].id;
  throw new VerificationFailed(
    found.length === 0
      ? `no Luna Backup HSM among the LunaCM slots of ${where} (is it connected and powered on?)`
      : `several Backup HSMs among the LunaCM slots of ${where} (slots ${found.map((s) => s.id).join(', ')}): the backup target is ambiguous`,
  );
}

/** The backup partitions on the Backup HSM: name and object count (all LunaCM shows of them). */
export async function readBackups(
  d: DeviceAccess,
): Promise<{ slot: number; backups: { label: string; objects: number }[] }> {
  const slot = backupHsmSlot(await readSlots(d), d.ref);
  const command = `partition archive list -slot ${slot}`;
  return { slot, backups: parseArchiveList((await d.run(command, { timeoutMs: LUNACM_READ_MS })).output, command) };
}

/** The Luna Backup HSM as LunaCM's `slot list` shows its slot: model and firmware (the
 * "Firmware Version ->" field of the captured slot list, Keyless 7.x). */
export async function readBackupHsm(d: DeviceAccess): Promise<{ slot: number; model: string; firmware: string }> {
  const slots = await readSlots(d);
  const slot = slots.find((s) => s.id === backupHsmSlot(slots, d.ref))!;
  if (!slot.firmware)
    throw new UnreadableOutput('slot list', `no "Firmware Version" for the Backup HSM in slot ${slot.id}`);
  return { slot: slot.id, model: slot.model || slot.description, firmware: slot.firmware };
}

/** The Luna HSM Client version, from the banner LunaCM prints as it starts ("LunaCM (64-bit)
 * v7.2.0-220. Copyright ...", Azure 7.2 and Keyless 7.x captures): LunaCM is the client's. The
 * banner is in this session's transcript once LunaCM has started. */
export async function readLunacmClientVersion(d: DeviceAccess): Promise<string> {
  await readSlots(d); // starts LunaCM (and its banner) if this activity has not yet
  const banner = [...d.transcript].reverse().find((t) => t.command === d.entry.lunacm && t.code === 0)?.output;
  if (banner === undefined) throw new UnreadableOutput(d.entry.lunacm ?? 'lunacm', 'no LunaCM banner in this session');
  const m = /\bLunaCM\b[^\n]*?\bv(\d+\.\d+\.\d+)(?:-\d+)?\b/i.exec(banner);
  if (!m)
    throw new UnreadableOutput(
      d.entry.lunacm ?? 'lunacm',
      'the banner names no LunaCM version',
      banner.split(/\r?\n/).find((l) => l.trim()) ?? '',
    );
  return m[1];
}

/** How many more wrong passwords the role on the current slot may take before it is locked out,
 * from LunaCM `role show -name <role>` (Thales, `role login`: too many bad logins lock the
 * Crypto Officer out, and `role show` then gives "Locked out"; the "Login attempts left" line's
 * words are guessed: no public capture shows `role show`). 0 when locked out; an answer that
 * says neither is unreadable. */
export async function readRoleLoginAttemptsLeft(d: DeviceAccess, role: string): Promise<number> {
  const command = `role show -name ${role}`;
  return parseRoleLoginAttemptsLeft((await d.run(command, { timeoutMs: LUNACM_READ_MS })).output, command);
}

export function parseRoleLoginAttemptsLeft(output: string, command = 'role show'): number {
  const lines = output.split(/\r?\n/);
  const left = lines.map((l) => /^\s*Login attempts left\s*(?::|->)\s*(\d+)\s*\.?\s*$/i.exec(l)).find(Boolean);
  if (left) return Number(left[1]);
  if (lines.some((l) => /^\s*Locked out\b/i.test(l))) return 0;
  throw new UnreadableOutput(
    command,
    'no "Login attempts left" (nor "Locked out"): how many attempts the role has left is unknown',
  );
}

/** A number `hsm show` prints only on some releases, needed here: fail closed where it is missing. */
export function required<T>(value: T | null, what: string): T {
  if (value === null) throw new UnreadableOutput('hsm show', `no "${what}" field, which this step needs`);
  return value;
}

/** server.pem as a client fetches it (`scp <user>@<appliance>:server.pem`), read as X.509. */
export async function readServerCertificate(d: DeviceAccess): Promise<{ pem: string; cert: X509Certificate }> {
  const pem = (await d.download('server.pem')).toString('utf8');
  try {
    return { pem, cert: new X509Certificate(pem) };
  } catch {
    throw new UnreadableOutput('server.pem', 'the appliance gave no PEM certificate');
  }
}
