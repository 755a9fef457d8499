import { z } from 'zod';
import type { Inventory } from '../inventory';
import { NTLS_DEVICES } from '../operations';
import type { PlanInput } from '../plan';
import { approvalGate, check, device, GateParams, planFrame } from './common';
import { haExclusionPrecheck } from './ha';
import type { PlanContext } from './types';

export const NtlsCertificateRotationParamsSchema = z
  .object({
    ...GateParams,
    /** The network device NTLS is bound to again (`ntls bind`) before it restarts. */
    ntlsDevice: z
      .enum(NTLS_DEVICES)
      .default('eth0')
      .describe('the network device NTLS is bound to again (`ntls bind`) before it restarts'),
  })
  .strict();

/** Whom the sign-off mail reaches: the owners the inventory names for its NTLS clients
 * (`clientCertificates.<client>.owners`), else the operators. The plan is built before the
 * appliance is read, so it cannot know which clients are registered on this unit (the inventory's
 * client certificates are not per unit, and a client registered by hand is in none): the mail
 * and the ticket name, per client that `client list` shows, its owner and its commands. */
export function clientOwners(inventory: Inventory): string[] {
  const owners = [...new Set(Object.values(inventory.clientCertificates).flatMap((c) => c.owners ?? []))];
  return owners.length > 0 ? owners : inventory.operators;
}

/** NTLS server certificate rotation (docs/ceremonies/ntls-certificate-rotation.md): the
 * certificate being replaced and the registered clients read first (read-only), the approval
 * gate (the rotation breaks every client's connection until it trusts the new certificate), the
 * rotation (`sysconf regenCert`, `ntls bind`, `service restart ntls`, server.pem read again as
 * evidence), and the client owners' sign-off that they trust it again (their commands, with the
 * new fingerprint, in its mail and on the ticket). */
export function buildNtlsCertificateRotationPlan(context: PlanContext): PlanInput {
  const { request, inventory } = context;
  const p = NtlsCertificateRotationParamsSchema.parse(request.params);
  return {
    ...planFrame(request, inventory, `Rotate the NTLS server certificate of ${request.hsm}`),
    steps: [
      // `service restart ntls` drops every client: never while another member of its HA group is down
      ...haExclusionPrecheck(context),
      check(
        'baseline',
        `Read ${request.hsm}'s NTLS server certificate (server.pem: fingerprint, expiry) and its registered clients (client list)`,
        'ntls.rotationBaseline',
        {},
      ),
      ...approvalGate(
        inventory,
        request,
        p,
        'approve',
        `Approve the NTLS certificate rotation of ${request.hsm} (its clients cannot connect until they trust the new one)`,
      ),
      device(
        request,
        'rotate',
        `sysconf regenCert, ntls bind ${p.ntlsDevice}, service restart ntls; the new server.pem read back (its fingerprint for the client owners)`,
        'ntls.rotateCertificate',
        { device: p.ntlsDevice, baseline: 'baseline' },
        { requires: ['baseline'] },
      ),
      {
        id: 'clients-trust',
        type: 'signoff',
        title: `The owners of ${request.hsm}'s clients fetched the new server.pem and re-added the server (vtl deleteServer, vtl addServer: commands and fingerprint below)`,
        signer: 'Client owners',
        contacts: clientOwners(inventory),
        deadline: p.deadline,
        remindEvery: p.remindEvery,
      },
    ],
  };
}
