import { ledgerRecord, ledgerRequire } from './ledger';
import { changeInitialPassword, configureSyslog, hsmInit, hsmShowOp, hsmZeroize, partitionAssignClient, partitionCreate } from './luna';
import { backupPartition, backupVerify } from './backup';
import { applianceReboot, firmwareUpgrade, firmwareUpload } from './firmware';
import type { OperationDefinition } from './operation';

/** Every operation a plan may name. Activity type in history = operation name. */
export const OPERATIONS: OperationDefinition[] = [
  ledgerRecord,
  ledgerRequire,
  hsmShowOp,
  changeInitialPassword,
  hsmInit,
  configureSyslog,
  partitionCreate,
  partitionAssignClient,
  hsmZeroize,
  firmwareUpload,
  firmwareUpgrade,
  applianceReboot,
  backupPartition,
  backupVerify,
];
