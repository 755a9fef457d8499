// HA-aware maintenance (docs/ha-maintenance.md): which ceremony kinds take an HA group's member
// down, and the LunaCM commands its owners run to take the member out of the group and put it
// back. Pure data and words: the catalogue, the worker's precheck and the client share them.

/** Ceremony kinds that take a member of an HA group down: a firmware upgrade (reboots, HSM
 * restart), a zeroize-deprovision (the member is gone), an hsm-init (a re-init zeroizes the HSM)
 * and an NTLS certificate rotation (`service restart ntls` drops every client, which must then
 * trust the new certificate). Two of them never run on members of one group at once. */
export const MAINTENANCE_KINDS: readonly string[] = [
  'firmware-upgrade',
  'zeroize-deprovision',
  'hsm-init',
  'ntls-certificate-rotation',
];

export const isMaintenanceKind = (kind: string): boolean => MAINTENANCE_KINDS.includes(kind);

/** Where the syntax comes from (Thales, LunaCM Command Reference and "Adding/Removing an HA Group
 * Member"; simulator/SOURCES.md). The member is the HSM's partition, named by its serial number,
 * which `hagroup listgroups` lists (Group Members, Member S/N). */
const SERIAL = '<serial of its member partition (hagroup listgroups)>';

/** The commands in full (`serial`: what to write for the member's serial) and, for a step title
 * (200 characters at most), short. The Crypto Officer password is typed by the owner: never here. */
export const haRemoveCommand = (label: string, serial = SERIAL) =>
  `hagroup removemember -group ${label} -serialnumber ${serial}`;
export const haAddCommand = (
  label: string,
  serial = SERIAL,
  password = "<the partition's Crypto Officer password, typed by you>",
) => `hagroup addmember -group ${label} -serialnumber ${serial} -password ${password}`;
export const SHORT_SERIAL = '<member serial>';

/** What the owners run before the maintenance, for the acknowledgement gate's mail. */
export function haLeaveSteps(hsm: string, label: string): string[] {
  return [
    `Before the maintenance, take ${hsm} out of HA group ${label}: in LunaCM on a client host of the group, \`hagroup listgroups\` (note the serial number of ${hsm}'s member partition), then \`${haRemoveCommand(label)}\`, then \`hagroup listgroups\` again: the serial is no longer among the Group Members. (Thales: a member can be removed at any time; its scheduled operations fail over to the other members.)`,
  ];
}

/** What the owners run after a firmware upgrade, to put the member back. */
export function haRejoinSteps(hsm: string, label: string): string[] {
  return [
    `After the upgrade, put ${hsm} back into HA group ${label}: \`${haAddCommand(label)}\` (its objects are replicated onto it), then \`hagroup listgroups\`: the member is alive and "Needs sync: no". Thales: a partition on firmware 7.7.0 or newer cannot be the primary of a group whose secondary members run older firmware: upgrade the other members too.`,
  ];
}

/** After a zeroize-deprovision the member does not come back. */
export function haStaysOutSteps(hsm: string, label: string): string[] {
  return [
    `${hsm} is zeroized and deprovisioned: it stays out of HA group ${label}; do not add it back. A replacement member is added as Thales' "Replacing an HA Group Member" describes (hagroup addmember on a new partition).`,
  ];
}
