import type { DeviceAccess } from './device-access';
import { UnreadableOutput } from './errors';
import {
  parseArchiveList,
  parseClientShow,
  parseDefaultRoutes,
  parseFirmwareShow,
  parseHsmShow,
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

/** LunaCM on the backup workstation. */
export async function readSlots(d: DeviceAccess) {
  return parseSlotList((await d.run('slot list')).output);
}

export async function readBackups(d: DeviceAccess) {
  const command = 'partition archive list -slot 0';
  return parseArchiveList((await d.run(command)).output, command);
}

/** A number `hsm show` prints only on some releases, needed here: fail closed where it is missing. */
export function required<T>(value: T | null, what: string): T {
  if (value === null) throw new UnreadableOutput('hsm show', `no "${what}" field, which this step needs`);
  return value;
}
