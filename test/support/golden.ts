import { join } from 'node:path';
import { InventorySchema, loadInventory, type Inventory } from '../../ceremonies/inventory';
import type { CeremonyRequestInput } from '../../ceremonies/request';

/** The fixed requests of the golden plans in test/golden/<name>.json: all on hsm-weu-1 of
 * config/inventory.yaml, for ticket jira:GOLDEN-1, requested by dave@example.com (no approver). */
export const GOLDEN_INVENTORY = join(__dirname, '..', '..', 'config', 'inventory.yaml');
const HSM = 'hsm-weu-1';
const TICKET = 'jira:GOLDEN-1';
const REQUESTER = 'dave@example.com';

/** The HA group the golden cases of an HA member add to config/inventory.yaml (as its commented
 * `haGroups` example has it): hsm-weu-1 and hsm-weu-2's partitions, one group. */
export const GOLDEN_HA_GROUPS = {
  'weu-payments-ha': { members: ['hsm-weu-1', 'hsm-weu-2'], owners: ['payments-owner@example.com'] },
};

export const GOLDEN: Record<
  string,
  { kind: CeremonyRequestInput['kind']; params: Record<string, string>; haMember?: true }
> = {
  'hsm-init': { kind: 'hsm-init', params: { label: 'WEU1', syslogHost: 'syslog.example.com', policies: '12=0,15=1' } },
  'partition-create': {
    kind: 'partition-create',
    params: { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' },
  },
  backup: { kind: 'backup', params: { partitions: 'payments,signing' } },
  // config/inventory.yaml's nightly-backup-weu-1 expires 2027-12-31: after that this plan is refused
  'backup-standing-approval': {
    kind: 'backup',
    params: { partitions: 'payments', standingApproval: 'nightly-backup-weu-1' },
  },
  'firmware-upgrade': {
    kind: 'firmware-upgrade',
    params: {
      file: 'lunahsm_update-7.8.4.spkg',
      sha256: '3f0c3f9a0e4b7d1c2a5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4',
      authCode: 'Gold3nAuth',
      targetFirmware: '7.8.4',
      partitions: 'payments',
    },
  },
  'zeroize-deprovision': { kind: 'zeroize-deprovision', params: {} },
  'zeroize-deprovision-waiver': {
    kind: 'zeroize-deprovision',
    params: { waiver: 'partitions emptied under CAB-2026-200; no key material left to back up' },
  },
  rehearsal: { kind: 'rehearsal', params: {} },
  'backup-retention': { kind: 'backup-retention', params: { partitions: 'payments,signing' } },
  // hsm-weu-1 a member of GOLDEN_HA_GROUPS: the owners' gates and the exclusion precheck
  'firmware-upgrade-ha-member': {
    kind: 'firmware-upgrade',
    params: {
      file: 'lunahsm_update-7.8.4.spkg',
      sha256: '3f0c3f9a0e4b7d1c2a5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4',
      authCode: 'Gold3nAuth',
      targetFirmware: '7.8.4',
      partitions: 'payments',
    },
    haMember: true,
  },
  'zeroize-deprovision-ha-member': { kind: 'zeroize-deprovision', params: {}, haMember: true },
  'ntls-certificate-rotation': { kind: 'ntls-certificate-rotation', params: {} },
  restore: { kind: 'restore', params: { partition: 'payments', backup: 'hsm-weu-1-payments-20261206-0a1b2c3d' } },
  'restore-into-non-empty': {
    kind: 'restore',
    params: { partition: 'payments', backup: 'hsm-weu-1-payments-20261206-0a1b2c3d', intoNonEmpty: 'true' },
  },
  // config/inventory.yaml's weekly-drill-weu-1 expires 2027-12-31: after that this plan is refused
  'restore-drill': {
    kind: 'restore-drill',
    params: { partitions: 'payments', standingApproval: 'weekly-drill-weu-1' },
  },
};

/** The inventory a golden case is built with: config/inventory.yaml, with GOLDEN_HA_GROUPS for an HA member's. */
export function goldenInventory(name: string): Inventory {
  const inventory = loadInventory(GOLDEN_INVENTORY);
  return GOLDEN[name].haMember ? InventorySchema.parse({ ...inventory, haGroups: GOLDEN_HA_GROUPS }) : inventory;
}

export const goldenFile = (name: string) => join(__dirname, '..', 'golden', `${name}.json`);

export function goldenRequest(name: string): CeremonyRequestInput {
  const { kind, params } = GOLDEN[name];
  return { kind, hsm: HSM, ticket: TICKET, requester: REQUESTER, params };
}

/** The same request as `ceremony plan --preview` arguments. */
export function goldenPreviewArgv(name: string): string[] {
  const { kind, params } = GOLDEN[name];
  return [
    'plan',
    '--preview',
    kind,
    '--hsm',
    HSM,
    '--ticket',
    TICKET,
    '--requester',
    REQUESTER,
    ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  ];
}
