import { X509Certificate } from 'node:crypto';
import { own } from '../../ceremonies/own';
import { PROCEED } from '../device/luna-constants';
import { VerificationFailed } from '../device/errors';
import { readServerCertificate } from '../device/queries';
import type { DeviceAccess } from '../device/device-access';
import { defineOperation, type OperationContext } from './operation';

// The appliance's NTLS server certificate, made for the unit's own address after `hsm init`, so
// that the server.pem clients fetch (and `vtl addServer` pins) matches the unit they connect to.
// The order is the one Microsoft's activation guide runs on a new Azure Dedicated HSM
// (microsoft/AzureHSMEssentials, README-Activate-DedicatedHSM.md, steps 13-14): `sysconf
// regenCert` ("Type proceed when prompted"), `ntls bind eth0`, `service restart ntls`. Thales:
// "an NTLS restart is required immediately after a server certificate regeneration" ("Impact of
// the service restart ntls Command"); a binding is used only once "the NTLS service is restarted"
// ("Binding Your NTLS or SSH Traffic to a Device").

/** Where clients reach the unit's NTLS service: the inventory's `ntls.host`, else its `host`. */
function unitAddress(ctx: OperationContext): string {
  const entry = ctx.hsm === undefined ? undefined : own(ctx.inventory().hsms, ctx.hsm);
  if (!entry) throw new VerificationFailed(`the worker's inventory has no HSM ${String(ctx.hsm)}`);
  return entry.ntls.host ?? entry.host;
}

/** The names a certificate is issued to: its subject's CN and its subjectAltName entries. */
export function certificateNames(cert: X509Certificate): string[] {
  const cn = cert.subject.split('\n').flatMap((line) => (line.startsWith('CN=') ? [line.slice(3)] : []));
  const san = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry.trim())?.[1])
    .filter((v): v is string => v !== undefined);
  return [...cn, ...san];
}

function namesAddress(cert: X509Certificate, address: string): boolean {
  const wanted = address.toLowerCase();
  return certificateNames(cert).some((name) => name.toLowerCase() === wanted);
}

async function certificateState(ctx: OperationContext) {
  const address = unitAddress(ctx);
  const { cert } = await readServerCertificate(ctx.device());
  const names = certificateNames(cert);
  return {
    named: namesAddress(cert, address),
    state: { address, subject: cert.subject, names, notAfter: cert.validTo, fingerprintSha256: cert.fingerprint256 },
  };
}

/** `sysconf regenCert` when asked (an earlier attempt may have sent it already), then `ntls bind`
 * and `service restart ntls`, which are harmless to repeat; the commands sent. */
export async function regenerateBindRestart(d: DeviceAccess, device: string, regenerate: boolean): Promise<string[]> {
  const commands: string[] = [];
  if (regenerate) {
    // "WARNING !! This command will overwrite the current server certificate and private key."
    await d.run('sysconf regenCert', { answers: [PROCEED] });
    commands.push('sysconf regenCert');
  }
  for (const command of [`ntls bind ${device}`, 'service restart ntls']) {
    await d.run(command, { answers: [PROCEED] });
    commands.push(command);
  }
  return commands;
}

/** An earlier attempt of this step sent its commands and was lost: server.pem may already name
 * the unit while NTLS was never restarted with it. Such a retry binds and restarts again (both are
 * harmless to repeat), but never regenerates a certificate that already names the unit. */
export const ntlsCertificateForUnit = defineOperation('ntls.certificateForUnit', {
  async probe(ctx) {
    const { named, state } = await certificateState(ctx);
    return { present: named && ctx.earlierActAt === undefined, state: { ...state, namesUnit: named } };
  },
  async act(ctx, { device }) {
    return { commands: await regenerateBindRestart(ctx.device(), device, !(await certificateState(ctx)).named) };
  },
  async verify(ctx) {
    const { named, state } = await certificateState(ctx);
    return { present: named, state: { ...state, namesUnit: named } };
  },
  // the lost attempt's commands leave nothing to wait for: the probe cannot see a restart
  resumeWindowMs: 0,
});
