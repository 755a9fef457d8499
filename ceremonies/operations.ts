// The operations a plan may name, each with its kind, declared once. The kind decides which
// approvals the worker's policy asks for before the step may run (`ceremonies/policy.ts`);
// `activities/ops` implements exactly these names (a test holds the two together).

export const OPERATION_KINDS = ['read-only', 'reversible', 'irreversible', 'key-material'] as const;
/** read-only: reads state; reversible: changes state that can be changed back; irreversible:
 * destroys something for good (key material, the Azure resource, the firmware); key-material:
 * moves key material off the appliance (a backup). */
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATIONS_CATALOGUE = {
  'ledger.record': { kind: 'reversible', description: 'Append an effect to the local ledger (rehearsal stand-in for a device)' },
  'ledger.require': { kind: 'read-only', description: 'Check that the local ledger holds an effect with this key' },
  'hsm.show': { kind: 'read-only', description: 'Read hsm show' },
  'hsm.checkZeroized': { kind: 'read-only', description: 'Check that the HSM is zeroized (a fresh unit)' },
  'hsm.verify': { kind: 'read-only', description: 'Check label, firmware or zeroized state with hsm show' },
  'hsm.changeInitialPassword': { kind: 'reversible', description: "Change an appliance user's factory password at first login" },
  'hsm.init': { kind: 'reversible', description: 'Initialise the HSM (hsm init) with a label' },
  'hsm.setPolicy': { kind: 'reversible', description: 'Change an HSM policy' },
  'hsm.configureSyslog': { kind: 'reversible', description: 'Add a remote syslog host' },
  'partition.checkLicence': { kind: 'read-only', description: 'Check that the licence allows more partitions' },
  'partition.create': { kind: 'reversible', description: 'Create a partition' },
  'partition.present': { kind: 'read-only', description: 'Check that a partition is listed' },
  'partition.assignClient': { kind: 'reversible', description: 'Register an NTLS client and assign it a partition' },
  'hsm.zeroize': { kind: 'irreversible', description: 'Zeroize the HSM: all key material is destroyed' },
  'firmware.onTarget': { kind: 'read-only', description: 'Is the appliance already on the target firmware?' },
  'firmware.upload': { kind: 'reversible', description: 'Upload an update package (sha256 checked)' },
  'firmware.upgrade': { kind: 'irreversible', description: 'Install an update package' },
  'appliance.reboot': { kind: 'reversible', description: 'Reboot the appliance and wait for it' },
  'vpn.check': { kind: 'read-only', description: 'Check the VPN path to the on-prem backup device' },
  'backup.partition': { kind: 'key-material', description: 'Back a partition up to the on-prem Luna Backup HSM' },
  'backup.verify': { kind: 'read-only', description: 'Check that a backup holds as many objects as its partition' },
  'backup.recent': { kind: 'read-only', description: 'Check that every partition has a recent verified backup' },
  'approval.standing': { kind: 'read-only', description: 'Check that a standing pre-approval covers this run' },
  'azure.deleteDedicatedHsm': { kind: 'irreversible', description: 'Delete the Dedicated HSM resource in Azure' },
} as const satisfies Record<string, { kind: OperationKind; description: string }>;

export type OperationName = keyof typeof OPERATIONS_CATALOGUE;
export const OPERATION_NAMES = Object.keys(OPERATIONS_CATALOGUE) as OperationName[];

/** The kind of a known operation; undefined for any other name (looked up as an own property). */
export function operationKind(name: string): OperationKind | undefined {
  return Object.prototype.hasOwnProperty.call(OPERATIONS_CATALOGUE, name) ? OPERATIONS_CATALOGUE[name as OperationName].kind : undefined;
}
