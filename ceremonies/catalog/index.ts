import type { CeremonyKind } from '../plan';
import { buildBackupPlan } from './backup';
import { buildBackupRetentionPlan } from './backup-retention';
import { buildFirmwareUpgradePlan } from './firmware-upgrade';
import { buildHsmInitPlan } from './hsm-init';
import { buildNtlsCertificateRotationPlan } from './ntls-certificate-rotation';
import { buildPartitionCreatePlan } from './partition-create';
import { buildRehearsalPlan } from './rehearsal';
import { buildRestorePlan } from './restore';
import { buildRestoreDrillPlan } from './restore-drill';
import type { PlanBuilder } from './types';
import { buildZeroizeDeprovisionPlan } from './zeroize-deprovision';

/** The ceremony catalog: a plan builder per kind. */
export const PLAN_BUILDERS: Record<CeremonyKind, PlanBuilder> = {
  'hsm-init': buildHsmInitPlan,
  'partition-create': buildPartitionCreatePlan,
  backup: (context) => buildBackupPlan(context),
  'firmware-upgrade': buildFirmwareUpgradePlan,
  'zeroize-deprovision': buildZeroizeDeprovisionPlan,
  rehearsal: buildRehearsalPlan,
  'backup-retention': buildBackupRetentionPlan,
  'ntls-certificate-rotation': buildNtlsCertificateRotationPlan,
  restore: buildRestorePlan,
  'restore-drill': buildRestoreDrillPlan,
};
