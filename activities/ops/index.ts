import { standingApproval } from './approvals';
import { azureDeleteDedicatedHsm } from './azure';
import { backupPartition, backupRecent, backupVerify } from './backup';
import { applianceReboot, firmwareOnTarget, firmwareUpgrade, firmwareUpload } from './firmware';
import { ledgerRecord, ledgerRequire } from './ledger';
import {
  changeInitialPassword,
  configureSyslog,
  hsmCheckZeroized,
  hsmInit,
  hsmSetPolicy,
  hsmShowOp,
  hsmVerify,
  hsmZeroize,
  partitionAssignClient,
  partitionCheckLicence,
  partitionCreate,
  partitionPresent,
} from './luna';
import { vpnCheck } from './network';
import type { OperationDefinition } from './operation';

/** Every operation a plan may name. Activity type in history = operation name. */
export const OPERATIONS: OperationDefinition[] = [
  ledgerRecord,
  ledgerRequire,
  hsmShowOp,
  hsmCheckZeroized,
  hsmVerify,
  changeInitialPassword,
  hsmInit,
  hsmSetPolicy,
  configureSyslog,
  partitionCheckLicence,
  partitionCreate,
  partitionPresent,
  partitionAssignClient,
  hsmZeroize,
  firmwareOnTarget,
  firmwareUpload,
  firmwareUpgrade,
  applianceReboot,
  vpnCheck,
  backupPartition,
  backupVerify,
  backupRecent,
  standingApproval,
  azureDeleteDedicatedHsm,
];
