import { z } from 'zod';

// The shapes of what travels from a request into a device command. lunash is a restricted shell:
// nothing from a ticket reaches it without matching one of these. Plan builders (parameters) and
// the operation catalogue (arguments) use the same ones.

export const LunaName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected 1-32 letters, digits, "_", "." or "-"');
export const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'expected a host name or IPv4 address');
export const FirmwareVersion = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a firmware version such as 7.8.4');
export const PackageFile = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a package file name');
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected the package sha256 (64 lower-case hex digits)');
export const AuthCode = z.string().regex(/^[A-Za-z0-9/+]{6,32}$/, "expected the package's authorisation code");
/** A backup's name on the Backup HSM. */
export const BackupLabel = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a backup label (letters, digits, "_", "." or "-")');
/** An HSM's serial number, as `hsm show` prints it. */
export const HsmSerial = z.string().regex(/^[0-9]{1,20}$/, 'expected the HSM serial number hsm show prints (digits)');
export const DedicatedHsmResourceId = z
  .string()
  .regex(
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.HardwareSecurityModules\/dedicatedHSMs\/[^/]+$/i,
    'expected a Dedicated HSM ARM resource id',
  );
