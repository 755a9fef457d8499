import type { DeviceAccess } from './device-access';
import { parseHsmShow, parseTable, type HsmShow } from './lunash-parser';

/** Read-only lunash queries shared by the operations. */

export async function readHsmShow(d: DeviceAccess): Promise<HsmShow> {
  return parseHsmShow((await d.run('hsm show')).output);
}

export async function readPartitions(d: DeviceAccess): Promise<{ serial: string; name: string; objects: number }[]> {
  return parseTable((await d.run('partition list')).output).map((r) => ({ serial: r.Partition, name: r.Name, objects: Number(r.Objects) }));
}
