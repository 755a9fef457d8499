import { own } from '../ceremonies/own';
import type { Inventory } from '../ceremonies/inventory';
import { DeviceAccess } from './device/device-access';
import { readServerCertificate } from './device/queries';
import type { SecretSources } from './device/secrets';
import { certificateFacts } from './ops/ntls-rotation';

// The expiry warning of each unit's NTLS server certificate: read-only, the documented way (the
// server.pem a client fetches with scp, Thales "Creating an NTLS Connection…"), parsed with
// node:crypto. An expired server certificate breaks every client's TLS handshake (Thales,
// "Restoring Broken NTLS or STC Connections"). Used by `ceremony hsm cert-expiry` and the
// worker's expiry gauge (worker/ntls-expiry-metrics.ts).

/** One unit's certificate as read now, or why it could not be read (never a guess). */
export type CertificateExpiry =
  | { hsm: string; notAfter: string; secondsLeft: number; fingerprintSha256: string; subject: string }
  | { hsm: string; error: string };

/** The units to check: the one named (refused when the inventory has no such HSM), else all. */
export function unitsToCheck(inventory: Inventory, hsm?: string): string[] {
  if (hsm === undefined) return Object.keys(inventory.hsms);
  if (!own(inventory.hsms, hsm))
    throw new Error(`unknown HSM "${hsm}": not in the inventory (known: ${Object.keys(inventory.hsms).join(', ')})`);
  return [hsm];
}

export async function readCertificateExpiry(
  inventory: Inventory,
  hsm: string,
  secrets: SecretSources,
  now: () => number = Date.now,
): Promise<CertificateExpiry> {
  let d: DeviceAccess | undefined;
  let failed = true;
  try {
    d = DeviceAccess.forHsm(inventory, hsm, secrets);
    const facts = certificateFacts((await readServerCertificate(d)).cert);
    failed = false;
    return { hsm, ...facts, secondsLeft: Math.floor((Date.parse(facts.notAfter) - now()) / 1000) };
  } catch (err) {
    return { hsm, error: err instanceof Error ? err.message : String(err) };
  } finally {
    d?.close({ failed });
  }
}

/** Each unit in turn (one SSH login at a time per appliance, as the worker's steps). */
export async function readCertificateExpiries(
  inventory: Inventory,
  hsms: string[],
  secrets: SecretSources,
): Promise<CertificateExpiry[]> {
  const out: CertificateExpiry[] = [];
  for (const hsm of hsms) out.push(await readCertificateExpiry(inventory, hsm, secrets));
  return out;
}

/** Within the warning window (or past it), or unreadable: someone must look. */
export function needsAttention(expiry: CertificateExpiry, warnDays: number): boolean {
  return 'error' in expiry || expiry.secondsLeft <= warnDays * 86_400;
}

/** One line per unit, for a person. */
export function formatExpiries(expiries: CertificateExpiry[], warnDays: number): string {
  return expiries
    .map((e) => {
      if ('error' in e) return `${e.hsm}: UNREADABLE: ${e.error}`;
      const days = Math.floor(e.secondsLeft / 86_400);
      const verdict =
        e.secondsLeft <= 0
          ? 'EXPIRED'
          : needsAttention(e, warnDays)
            ? `EXPIRES IN ${days} DAYS (warning window ${warnDays} days): rotate it (ceremony start ntls-certificate-rotation)`
            : `ok, ${days} days left`;
      return `${e.hsm}: NTLS server certificate valid until ${e.notAfter} (SHA-256 ${e.fingerprintSha256}): ${verdict}`;
    })
    .join('\n');
}
