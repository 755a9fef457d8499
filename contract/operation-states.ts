import type { OperationName } from '../ceremonies/operations';

// What an operation's probe and verify record (its evidence's `probe` and `verify`), for the
// operations whose state another layer reads: a backup's proof (activities/backup-proofs.ts), a
// restore's `labelFrom`, a rotation's baseline, the audit's before → after lines. One shape per
// operation covers both (a check's verify is its probe). Every other operation's state is an open
// record until a reader needs it.

/** A server certificate as the ceremony keeps it (never its private key). */
interface CertificateFacts {
  subject: string;
  notAfter: string;
  fingerprintSha256: string;
}

/** The appliance a certificate was fetched from, and the admin user who may scp it. */
interface FetchedCertificate extends CertificateFacts {
  appliance: string;
  user: string;
}

export interface OperationStates {
  'backup.verify': { sourceObjects: number; backupObjects: number | null; label: string | null };
  'restore.verify': {
    partition: string;
    target: string;
    label: string | null;
    backupObjects: number | null;
    restoredObjects: number;
  };
  /** `label`: the backup a drill's restore then names (`labelFrom`). */
  'restore.compatible': {
    partition: string;
    source: string;
    label: string | null;
    backupObjects: number | null;
    targetObjects: number;
    partitionFirmware: string;
    backupHsmModel: string;
    backupHsmFirmware: string;
    clientVersion: string;
    /** Whether the inventory gives both partitions the same cloning domain (never the domain itself). */
    domain: string;
    problems: string[];
  };
  'backup.restore': { partition: string; label: string; backupObjects: number; targetObjects: number };
  'ntls.rotationBaseline': FetchedCertificate & { clients: { client: string; owners: string[] }[] };
  /** `pem`: the new certificate, in the verified state of a rotation that ran. */
  'ntls.rotateCertificate': FetchedCertificate & { previousFingerprintSha256: string; rotated: boolean; pem?: string };
  'ntls.serverCertificate': FetchedCertificate & { pem: string };
}

/** The probe/verify state of operation `N` (an open record for the operations not typed above,
 * and for a union of names). */
export type OperationState<N extends OperationName> = [N] extends [keyof OperationStates]
  ? OperationStates[N]
  : Record<string, unknown>;

/** The operations typed above (each must be an operation of the catalogue: a renamed one fails here). */
export type TypedOperation = OperationsOnly<keyof OperationStates>;
type OperationsOnly<N extends OperationName> = N;
