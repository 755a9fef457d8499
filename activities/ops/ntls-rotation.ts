import type { X509Certificate } from 'node:crypto';
import { own } from '../../ceremonies/own';
import type { OperationState } from '../../contract/operation-states';
import { VerificationFailed } from '../device/errors';
import { readServerCertificate } from '../device/queries';
import type { DeviceAccess } from '../device/device-access';
import { parseClientList } from './firmware-prechecks';
import { regenerateBindRestart } from './ntls';
import { defineOperation, type OperationContext } from './operation';

// Rotating the appliance's NTLS server certificate (ntls-certificate-rotation). Thales, "Restoring
// Broken NTLS or STC Connections": after the server certificate (server.pem) is regenerated, the
// appliance admin restarts NTLS and provides the new server.pem to each client, whose
// administrator replaces the server's certificate in the client's trust list. The appliance side
// is the order hsm-init already runs (`sysconf regenCert`, `ntls bind`, `service restart ntls`;
// activities/ops/ntls.ts); the client side is each owner's, told in the next steps.

/** What the ceremony keeps of a server certificate: enough for an owner to check the file they
 * fetched, and for the expiry check. */
export function certificateFacts(cert: X509Certificate) {
  return {
    subject: cert.subject,
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprintSha256: cert.fingerprint256,
  };
}

async function serverCertificate(d: DeviceAccess) {
  const { pem, cert } = await readServerCertificate(d);
  return { appliance: d.entry.host, user: d.adminUser(), ...certificateFacts(cert), pem: pem.trim() };
}

/** Each client registered on the appliance, with the owners the inventory names for it
 * (`clientCertificates.<client>.owners`; none for a client registered by hand). */
function clientsWithOwners(ctx: OperationContext, clients: string[]): { client: string; owners: string[] }[] {
  return clients.map((client) => ({ client, owners: own(ctx.inventory().clientCertificates, client)?.owners ?? [] }));
}

/** The certificate being replaced and the clients that trust it: read before the gate, so the
 * approvers see both and the rotation can tell its own new certificate from the old one. */
export const ntlsRotationBaseline = defineOperation('ntls.rotationBaseline', {
  async probe(ctx) {
    const d = ctx.device();
    const { pem: _replaced, ...facts } = await serverCertificate(d);
    const clients = clientsWithOwners(ctx, parseClientList((await d.run('client list')).output));
    return { present: true, state: { ...facts, clients } };
  },
});

/** The fingerprint the baseline step recorded; a rotation that cannot tell the old certificate
 * from a new one refuses to run (it could regenerate twice). */
function replacedFingerprint(ctx: OperationContext, baseline: string): string {
  const fingerprint = (own(ctx.earlierState, baseline) as Partial<OperationState<'ntls.rotationBaseline'>> | undefined)
    ?.fingerprintSha256;
  if (typeof fingerprint !== 'string')
    throw new VerificationFailed(
      `the step ${baseline} recorded no server certificate fingerprint: the certificate being replaced is unknown`,
    );
  return fingerprint;
}

async function rotationState(ctx: OperationContext, baseline: string) {
  const previousFingerprintSha256 = replacedFingerprint(ctx, baseline);
  const { pem, ...now } = await serverCertificate(ctx.device());
  return {
    rotated: now.fingerprintSha256 !== previousFingerprintSha256,
    state: { ...now, previousFingerprintSha256 },
    pem,
  };
}

/** Done when server.pem's fingerprint differs from the baseline's. An attempt after a lost or
 * failed one (the certificate may be new while NTLS was never restarted with it) binds and
 * restarts again, which is harmless to repeat, but never regenerates a second time. */
export const ntlsRotateCertificate = defineOperation('ntls.rotateCertificate', {
  async probe(ctx, { baseline }) {
    const { rotated, state } = await rotationState(ctx, baseline);
    return {
      present: rotated && ctx.earlierActAt === undefined && ctx.rerunBy === undefined,
      state: { ...state, rotated },
    };
  },
  async act(ctx, { device, baseline }) {
    return {
      commands: await regenerateBindRestart(ctx.device(), device, !(await rotationState(ctx, baseline)).rotated),
    };
  },
  async verify(ctx, { baseline }) {
    // the new certificate itself is the evidence an owner can check the fetched file against
    const { rotated, state, pem } = await rotationState(ctx, baseline);
    return { present: rotated, state: { ...state, rotated, pem } };
  },
  nextSteps(ctx, { baseline }, state) {
    const clients =
      (own(ctx.earlierState, baseline) as Partial<OperationState<'ntls.rotationBaseline'>> | undefined)?.clients ?? [];
    return rotationNotice(ctx.hsm ?? 'the appliance', state, clients);
  },
  // the lost attempt's commands leave nothing to wait for: the probe cannot see a restart
  resumeWindowMs: 0,
});

/** What each registered client's owner runs on the client host once the certificate changed:
 * fetch the new server.pem, check its fingerprint, replace the server in the client's trust list
 * (Thales, "Restoring Broken NTLS or STC Connections"; `vtl addServer` as in "Creating an NTLS
 * Connection Using Self-Signed Certificates"). */
export function rotationNotice(
  unit: string,
  state: OperationState<'ntls.rotateCertificate'>,
  clients: { client: string; owners: string[] }[],
): string[] {
  const appliance = String(state.appliance);
  const fingerprint = String(state.fingerprintSha256);
  const file = `${unit}-server.pem`;
  const head = `The NTLS server certificate of ${unit} (${appliance}) is new: SHA-256 fingerprint ${fingerprint} (was ${String(state.previousFingerprintSha256)}), valid until ${String(state.notAfter)}. Its clients cannot connect until they trust it.`;
  if (clients.length === 0)
    return [head, `No NTLS client is registered on ${unit} (client list): nobody else to tell.`];
  return [
    head,
    ...clients.flatMap(({ client, owners }) => [
      `Client ${client} (owner: ${owners.length ? owners.join(', ') : `none in the inventory (clientCertificates.${client}.owners): the operators forward this`}), on its host (Luna HSM Client):`,
      `  scp ${String(state.user)}@${appliance}:server.pem ${file}   # the certificate is also in the ceremony's evidence`,
      `  openssl x509 -in ${file} -noout -fingerprint -sha256   # must print ${fingerprint}`,
      `  vtl deleteServer -n ${appliance}`,
      `  vtl addServer -n ${appliance} -c ${file}`,
      `  vtl verify   # the partitions assigned to ${client} must be listed`,
    ]),
  ];
}
