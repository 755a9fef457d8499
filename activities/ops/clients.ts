import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { own } from '../../ceremonies/own';
import { CLONING_PARTITION_POLICIES } from '../../ceremonies/hsm-policies';
import { readClientFingerprint, readServerCertificate } from '../device/queries';
import { VerificationFailed } from '../device/errors';
import { defineOperation, type OperationContext } from './operation';

// An application host's NTLS link to a partition, the appliance side (Thales: the client's
// certificate is copied to the appliance with scp as <host>.pem, then `client register -client
// <name> -hostname <host>`; the client fetches the appliance's server.pem and runs `vtl
// addServer`, which is its owner's step).

/** The client's certificate from the worker's inventory, checked against the plan's sha256. */
async function clientCertificate(
  ctx: OperationContext,
  client: string,
  sha256: string,
): Promise<{ pem: Buffer; fingerprint: string }> {
  const entry = own(ctx.inventory().clientCertificates, client);
  if (!entry) throw new VerificationFailed(`the worker's inventory has no clientCertificates.${client}`);
  const path = entry.certificate.slice('file:'.length);
  const pem = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new VerificationFailed(`the certificate of ${client} (${path}) cannot be read (${err.code})`);
  });
  const actual = createHash('sha256').update(pem).digest('hex');
  if (actual !== sha256)
    throw new VerificationFailed(
      `the certificate of ${client} (${path}) has sha256 ${actual}, the plan says ${sha256}: refusing to register it`,
    );
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new VerificationFailed(`${path} is not a PEM certificate: refusing to upload it`);
  }
  return { pem, fingerprint: md5Fingerprint(cert) };
}

/** As `client fingerprint` prints it: the MD5 of the certificate (DER), in colon-separated hex. */
export function md5Fingerprint(cert: X509Certificate): string {
  return createHash('md5').update(cert.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
}

export const clientRegister = defineOperation('client.register', {
  async probe(ctx, { client, certSha256 }) {
    const { fingerprint } = await clientCertificate(ctx, client, certSha256);
    const registered = await readClientFingerprint(ctx.device(), client);
    if (registered !== null && registered !== fingerprint) {
      throw new VerificationFailed(
        `${client} is registered with another certificate (fingerprint ${registered}, not ${fingerprint}); replacing a client's certificate is not part of this ceremony`,
      );
    }
    return {
      present: registered !== null,
      state: { client, registered: registered !== null, fingerprint: registered, expected: fingerprint },
    };
  },
  async act(ctx, { client, host, certSha256, ip }) {
    const { pem } = await clientCertificate(ctx, client, certSha256);
    const d = ctx.device();
    // client register reads the certificate the admin copied to the appliance as <host>.pem
    // (without it, or registered with -ip, it "can't find cert": AzureHSMEssentials)
    await d.upload(`${host}.pem`, pem);
    const register = `client register -client ${client} -hostname ${host}`;
    await d.run(register);
    // the host name's address, as the appliance sees the client (AzureHSMEssentials, step 22)
    const map = ip ? [`client hostip map -client ${client} -ip ${ip}`] : [];
    for (const command of map) await d.run(command);
    return { commands: [`(copy ${host}.pem to the appliance)`, register, ...map] };
  },
});

export const ntlsServerCertificate = defineOperation('ntls.serverCertificate', {
  async probe(ctx) {
    const d = ctx.device();
    const { pem, cert } = await readServerCertificate(d);
    return {
      present: true,
      state: {
        appliance: d.entry.host,
        user: d.adminUser(),
        subject: cert.subject,
        notAfter: cert.validTo,
        fingerprintSha256: cert.fingerprint256,
        pem: pem.trim(),
      },
    };
  },
  nextSteps(ctx, { client, host, partition, cloning, domainRef }, state) {
    const file = `${ctx.hsm}-server.pem`;
    const appliance = String(state.appliance);
    return [
      `On ${host}, as the owner of client ${client} (Luna HSM Client):`,
      `  scp ${String(state.user)}@${appliance}:server.pem ${file}   # its SHA-256 fingerprint must be ${String(state.fingerprintSha256)} (the certificate is in the ceremony's evidence)`,
      `  vtl addServer -n ${appliance} -c ${file}`,
      `  vtl verify   # partition ${partition} must be listed`,
      // the partition's own cloning domain (Thales, LunaCM `partition init`; AzureHSMEssentials
      // step 12a): named by where it is kept, never by its value
      `  lunacm:> partition init -label ${partition} -domain <the domain in ${domainRef ?? `hsms.${ctx.hsm}.partitionCredentials.${partition}.domain (choose one and record it there)`}>`,
      '  lunacm:> role login -name po',
      '  lunacm:> role init -name co   (then role login -name co, role init -name cu)',
      ...(cloning
        ? [
            `  lunacm:> role login -name po; partition changepolicy -policy ${CLONING_PARTITION_POLICIES.map((p) => p.code).join(',')} -value ${CLONING_PARTITION_POLICIES.map(() => 1).join(',')}   # ${CLONING_PARTITION_POLICIES.map((p) => p.name).join(', ')}: for backup / HA`,
          ]
        : []),
    ];
  },
});
