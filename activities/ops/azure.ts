import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DedicatedHsm } from '@azure/arm-hardwaresecuritymodules';
import { dedicatedHsmClient, parseDedicatedHsmId } from '../azure/dedicated-hsm';
import { readHsmShow } from '../device/queries';
import { DeviceError, VerificationFailed } from '../device/errors';
import type { ApiCall } from '../types';
import { defineOperation, type OperationContext } from './operation';

export class AzureRequestFailed extends DeviceError {
  constructor(what: string, status: number | undefined, code: string | undefined, message: string) {
    super(`Azure ${what} failed: ${status ?? 'no status'} ${code ?? ''} ${message}`.replace(/\s+/g, ' ').trim());
    this.name = 'AzureRequestFailed';
  }
}

type RestErrorLike = { statusCode?: number; code?: string; message: string };
/** The part of the SDK's raw response (@azure/core-client's FullOperationResponse) read here. */
type ArmResponse = {
  request: { method: string; url: string };
  status: number;
  headers: { get(name: string): string | undefined };
  parsedBody?: unknown;
};

/** 4xx from ARM needs a person (permissions, a resource that refuses deletion); 5xx and network
 * errors are transient. */
function rethrow(what: string, err: unknown): never {
  const e = err as RestErrorLike;
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
    throw new AzureRequestFailed(what, e.statusCode, e.code, e.message);
  throw err;
}

async function resourceState(ctx: OperationContext, resourceId: string) {
  const { subscriptionId, resourceGroup, name } = parseDedicatedHsmId(resourceId);
  const client = await dedicatedHsmClient(subscriptionId, ctx.azure);
  try {
    const hsm = await client.dedicatedHsmOperations.get(resourceGroup, name);
    return {
      client,
      resourceGroup,
      name,
      exists: true,
      getStatus: 200,
      provisioningState: hsm.provisioningState ?? 'unknown',
      resource: hsm,
    };
  } catch (err) {
    if ((err as RestErrorLike).statusCode === 404)
      return {
        client,
        resourceGroup,
        name,
        exists: false,
        getStatus: 404,
        provisioningState: 'deleted',
        resource: undefined as DedicatedHsm | undefined,
      };
    return rethrow('GET dedicatedHSMs', err);
  }
}

/** The private IPs ARM gives the HSM's network interfaces: the address one reaches the appliance at
 * (Microsoft, "Tutorial: deploy HSMs using the CLI": `ssh tenantadmin@<the private IP of the HSM's
 * network interface>`, found with `az resource show`). ARM exposes no HSM serial. */
function privateIps(resource: DedicatedHsm | undefined): string[] {
  return (resource?.networkProfile?.networkInterfaces ?? []).flatMap((n) =>
    n.privateIpAddress ? [n.privateIpAddress] : [],
  );
}

async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/** The Azure resource is the appliance the worker talks to: ARM's private IP for it is an address
 * of the inventory's host, and that appliance reports the serial the inventory records for it. */
export const azureMatchesAppliance = defineOperation('azure.matchesAppliance', {
  async probe(ctx, { resourceId, serial }) {
    const { exists, resource } = await resourceState(ctx, resourceId);
    if (!exists) throw new VerificationFailed(`${resourceId} does not exist in Azure`);
    const d = ctx.device();
    const addresses = await addressesOf(d.entry.host);
    const show = await readHsmShow(d);
    const ips = privateIps(resource);
    const mismatches = [
      ips.length === 0
        ? 'ARM shows no private IP for the resource'
        : !ips.some((ip) => addresses.includes(ip))
          ? `ARM gives the resource ${ips.join(', ')}, the worker reaches ${d.entry.host} (${addresses.join(', ')})`
          : '',
      show.serial !== serial ? `the appliance reports serial ${show.serial}, the plan names ${serial}` : '',
    ].filter(Boolean);
    return {
      present: mismatches.length === 0,
      state: {
        resourceId,
        privateIps: ips,
        host: d.entry.host,
        addresses,
        serial: show.serial,
        expectedSerial: serial,
        mismatches,
      },
    };
  },
  explain: ({ resourceId }, s) => `${resourceId} may not be this appliance: ${(s.mismatches as string[]).join('; ')}`,
});

/** What the evidence keeps of an ARM answer: method, resource or status path, status, the
 * operation's status when it is a poll, the request id. No headers beyond that, no token. */
function apiCallOf(raw: ArmResponse, resourceId: string): ApiCall {
  const path = new URL(raw.request.url).pathname;
  const status = (raw.parsedBody as { status?: unknown } | undefined)?.status;
  const requestId = raw.headers.get('x-ms-request-id');
  return {
    method: raw.request.method,
    target: path.toLowerCase() === resourceId.toLowerCase() ? resourceId : path,
    status: raw.status,
    ...(typeof status === 'string' ? { operationStatus: status } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/** Deletes the Azure resource. Refuses unless the appliance reports itself zeroized right now:
 * the plan already requires a verified zeroize step; this is the last line. */
export const azureDeleteDedicatedHsm = defineOperation('azure.deleteDedicatedHsm', {
  async probe(ctx, { resourceId }) {
    const state = await resourceState(ctx, resourceId);
    return {
      present: !state.exists,
      state: { resourceId, provisioningState: state.provisioningState, getStatus: state.getStatus },
    };
  },
  async act(ctx, { resourceId, serial, pollMs }) {
    const show = await readHsmShow(ctx.device());
    if (!show.zeroized) throw new VerificationFailed(`refusing to delete ${resourceId}: the HSM is not zeroized`);
    if (serial !== undefined && show.serial !== serial)
      throw new VerificationFailed(
        `refusing to delete ${resourceId}: the appliance reports serial ${show.serial}, the plan names ${serial}`,
      );
    const { client, resourceGroup, name, exists, provisioningState } = await resourceState(ctx, resourceId);
    // an earlier attempt's DELETE finished between the probe and now: nothing left to delete
    if (!exists) return { commands: ['hsm show (zeroized)', `(${resourceId} already deleted: no DELETE sent)`] };
    if (provisioningState === 'Deleting') {
      // an earlier attempt's DELETE (its worker died while polling) is still running: wait for
      // it rather than send a second one
      for (
        let state = provisioningState;
        state !== 'deleted';
        state = (await resourceState(ctx, resourceId)).provisioningState
      ) {
        if (state !== 'Deleting')
          throw new AzureRequestFailed(
            'DELETE dedicatedHSMs (in progress)',
            undefined,
            state,
            `the resource is ${state} again: the DELETE did not go through`,
          );
        await new Promise((r) => setTimeout(r, pollMs));
      }
      return { commands: ['hsm show (zeroized)', `(DELETE ${resourceId} already in progress: waited for it)`] };
    }
    const apiCalls: ApiCall[] = [];
    try {
      await client.dedicatedHsmOperations.beginDeleteAndWait(resourceGroup, name, {
        updateIntervalInMs: pollMs,
        onResponse: (raw) => apiCalls.push(apiCallOf(raw, resourceId)),
      });
    } catch (err) {
      rethrow('DELETE dedicatedHSMs', err);
    }
    return { commands: ['hsm show (zeroized)', `DELETE ${resourceId}`], apiCalls };
  },
});
