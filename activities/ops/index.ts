import { standingApproval } from './approvals';
import { azureDeleteDedicatedHsm, azureMatchesAppliance } from './azure';
import { clientRegister, ntlsServerCertificate } from './clients';
import { hsmCheckTime } from './clock';
import { hsmExportLogs } from './logs';
import { backupCompatible, backupPartition, backupRecent, backupVerify } from './backup';
import { backupDeleteExpired, backupRetentionHolds } from './backup-retention';
import {
  applianceReboot,
  firmwareUpgrade,
  firmwareUpload,
  hsmRestarted,
  packageUpdate,
  packageVerify,
} from './firmware';
import { firmwareOnTarget, firmwareUpgradePath, registeredClients, singleDefaultRoute } from './firmware-prechecks';
import { haExclusive } from './ha-exclusive';
import { ledgerRecord, ledgerRequire } from './ledger';
import {
  changeInitialPassword,
  configureSyslog,
  hsmChangeDestructivePolicy,
  hsmCheckZeroized,
  hsmInit,
  hsmPolicyIs,
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
import { backupRestore, restoreCompatible, restoreVerify, scratchClear } from './restore';
import { ntlsCertificateForUnit } from './ntls';
import { ntlsRotateCertificate, ntlsRotationBaseline } from './ntls-rotation';
import { rebootPatchInstalled } from './reboot-patch';
import { configureAuditLogging } from './audit-logging';
import { partitionRevokeClient } from './revoke';
import type { OperationName } from '../../ceremonies/operations';
import type { OperationDefinition } from './operation';

/** The implementation of every operation of the catalogue (`ceremonies/operations.ts`), by name:
 * the type makes a missing or misnamed one a compile error. Activity type in history = name. */
export const IMPLEMENTATIONS: { [N in OperationName]: OperationDefinition<N> } = {
  'ledger.record': ledgerRecord,
  'ledger.require': ledgerRequire,
  'hsm.show': hsmShowOp,
  'hsm.checkZeroized': hsmCheckZeroized,
  'hsm.verify': hsmVerify,
  'hsm.changeInitialPassword': changeInitialPassword,
  'hsm.checkTime': hsmCheckTime,
  'hsm.init': hsmInit,
  'hsm.setPolicy': hsmSetPolicy,
  'hsm.changeDestructivePolicy': hsmChangeDestructivePolicy,
  'hsm.policyIs': hsmPolicyIs,
  'hsm.configureSyslog': configureSyslog,
  'appliance.rebootPatch': rebootPatchInstalled,
  'ntls.certificateForUnit': ntlsCertificateForUnit,
  'ntls.rotationBaseline': ntlsRotationBaseline,
  'ntls.rotateCertificate': ntlsRotateCertificate,
  'hsm.configureAuditLogging': configureAuditLogging,
  'partition.checkLicence': partitionCheckLicence,
  'partition.create': partitionCreate,
  'partition.present': partitionPresent,
  'client.register': clientRegister,
  'ntls.serverCertificate': ntlsServerCertificate,
  'partition.assignClient': partitionAssignClient,
  'hsm.exportLogs': hsmExportLogs,
  'partition.revokeClient': partitionRevokeClient,
  'hsm.zeroize': hsmZeroize,
  'firmware.onTarget': firmwareOnTarget,
  'firmware.upgradePath': firmwareUpgradePath,
  'appliance.singleDefaultRoute': singleDefaultRoute,
  'firmware.upload': firmwareUpload,
  'package.verify': packageVerify,
  'package.update': packageUpdate,
  'firmware.upgrade': firmwareUpgrade,
  'appliance.reboot': applianceReboot,
  'firmware.hsmRestarted': hsmRestarted,
  'clients.registered': registeredClients,
  'ha.exclusive': haExclusive,
  'vpn.check': vpnCheck,
  'backup.partition': backupPartition,
  'backup.verify': backupVerify,
  'backup.recent': backupRecent,
  'backup.retentionHolds': backupRetentionHolds,
  'backup.deleteExpired': backupDeleteExpired,
  'backup.compatible': backupCompatible,
  'restore.compatible': restoreCompatible,
  'backup.restore': backupRestore,
  'restore.verify': restoreVerify,
  'scratch.clear': scratchClear,
  'approval.standing': standingApproval,
  'azure.matchesAppliance': azureMatchesAppliance,
  'azure.deleteDedicatedHsm': azureDeleteDedicatedHsm,
};

export const OPERATIONS: OperationDefinition[] = Object.values(IMPLEMENTATIONS);
