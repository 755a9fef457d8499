import { z } from 'zod';
import { ALLOW_CLONING_HSM_POLICY, CLONING_PARTITION_POLICIES } from '../hsm-policies';
import { hsmEntry } from '../inventory';
import { own } from '../own';
import type { PlanInput } from '../plan';
import { approvalGate, BoolParam, check, device, GateParams, planFrame, requireInventory } from './common';
import { HostName, LunaName } from '../operation-args';
import type { PlanContext } from './types';

export const PartitionCreateParamsSchema = z
  .object({
    ...GateParams,
    partition: LunaName.describe("the new partition's name"),
    /** The application host (NTLS client) that will use the partition; its certificate is the
     * inventory's `clientCertificates.<client>`. */
    client: LunaName.describe(
      'the NTLS client that will use the partition; its certificate is `clientCertificates.<client>`',
    ),
    clientHost: HostName.describe("the client's host name (its certificate is copied as `<clientHost>.pem`)"),
    /** Who initialises the partition roles (PO, CO, CU) with LunaCM on the client host. */
    roleOfficer: z
      .email()
      .optional()
      .describe(
        'who initialises the partition roles (PO, CO, CU) with LunaCM on the client host (default: the first operator)',
      ),
    /** The partition will be backed up, or join this HA group: its keys must be clonable. */
    backup: BoolParam.describe('`true` when the partition will be backed up (its keys must be clonable: HSM policy 7)'),
    haGroup: LunaName.optional().describe('the HA group it will join (its keys must be clonable too)'),
  })
  .strict();

export function buildPartitionCreatePlan({ request, inventory }: PlanContext): PlanInput {
  const p = PartitionCreateParamsSchema.parse(request.params);
  const certificate = requireInventory(
    own(inventory.clientCertificates, p.client),
    `clientCertificates.${p.client}`,
    "(the client's NTLS certificate) to register it",
  );
  const cloning = [p.backup ? 'backed up' : '', p.haGroup ? `in HA group ${p.haGroup}` : '']
    .filter(Boolean)
    .join(' and ');
  const cloningPolicies = CLONING_PARTITION_POLICIES.map((c) => c.code).join(' and ');
  // the partition's own cloning domain, which its owner sets at LunaCM `partition init -domain`
  // (the HSM's domain is the admin partition's); the plan names where it is kept, never its value
  const domainField = `hsms.${request.hsm}.partitionCredentials.${p.partition}.domain`;
  const domainRef = own(hsmEntry(inventory, request.hsm).partitionCredentials, p.partition)?.domain;
  if (cloning)
    requireInventory(
      domainRef,
      domainField,
      `for a partition that will be ${cloning} (its cloning domain, which the backup and HA members must share)`,
    );
  const domain = domainRef
    ? `the domain in ${domainRef}`
    : `a domain of the owner's choice, recorded as ${domainField}`;
  return {
    ...planFrame(request, inventory, `Create partition ${p.partition} on ${request.hsm} for ${p.client}`),
    steps: [
      check(
        'licence',
        'The HSM licence and free storage allow one more partition (10 licensed, 100 at most)',
        'partition.checkLicence',
        { adding: 1 },
      ),
      ...(cloning
        ? [
            check(
              'cloning-allowed',
              `HSM policy ${ALLOW_CLONING_HSM_POLICY} (Allow cloning) is on: ${p.partition} will be ${cloning}`,
              'hsm.policyIs',
              { policy: ALLOW_CLONING_HSM_POLICY, value: 1 },
            ),
          ]
        : []),
      ...approvalGate(inventory, request, p, 'approve', `Approve partition ${p.partition}`),
      device(request, 'create', `Create partition ${p.partition}`, 'partition.create', { partition: p.partition }),
      device(
        request,
        'register',
        `Upload ${p.client}'s certificate (sha256 ${certificate.sha256.slice(0, 16)}…) as ${p.clientHost}.pem and register ${p.client}`,
        'client.register',
        {
          client: p.client,
          host: p.clientHost,
          certSha256: certificate.sha256,
        },
      ),
      device(request, 'assign', `Assign ${p.partition} to ${p.client} (${p.clientHost})`, 'partition.assignClient', {
        client: p.client,
        host: p.clientHost,
        partition: p.partition,
      }),
      check('verify', `Partition ${p.partition} is listed`, 'partition.present', { partition: p.partition }),
      device(
        request,
        'server-certificate',
        `Fetch the appliance's server certificate (server.pem) for ${p.client}'s vtl addServer`,
        'ntls.serverCertificate',
        {
          client: p.client,
          host: p.clientHost,
          partition: p.partition,
          cloning: Boolean(cloning),
          ...(domainRef ? { domainRef } : {}),
        },
      ),
      {
        id: 'roles',
        type: 'signoff',
        title: rolesTitle(
          p.partition,
          p.clientHost,
          domain,
          cloning ? `, partition policies ${cloningPolicies} (cloning) set to 1` : '',
        ),
        signer: 'Partition owner',
        contacts: [p.roleOfficer ?? inventory.operators[0]],
        deadline: p.deadline,
        remindEvery: p.remindEvery,
      },
    ],
  };
}

/** The owner's sign-off: the partition initialised with its cloning domain, its roles, its
 * cloning policies. A step title has 200 characters at most: a long secret reference is left to
 * the next steps (which every later mail and the ticket carry). */
function rolesTitle(partition: string, host: string, domain: string, policies: string): string {
  const full = `Partition ${partition} initialised on ${host}: partition init -label ${partition} -domain <${domain}>, roles PO, CO, CU${policies}`;
  return full.length <= 200
    ? full
    : `Partition ${partition} initialised on ${host} with its cloning domain (see the next steps), roles PO, CO, CU${policies}`.slice(
        0,
        200,
      );
}
