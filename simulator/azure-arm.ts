import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, startManagedIdentity, startStandInHttps } from './azure-stand-in';

// Azure Resource Manager, as far as we use it, for the local stack and the tests (Azure is out of
// reach here): an HTTPS endpoint for Microsoft.HardwareSecurityModules/dedicatedHSMs
// (api-version 2021-11-30, delete as a long-running operation with Azure-AsyncOperation polling)
// and an App Service style managed-identity token endpoint for @azure/identity. The worker talks
// to it through the official SDK exactly as to management.azure.com.

export interface ArmRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  bearer: boolean;
}

export interface AzureArm {
  endpoint: string;
  caFile: string;
  env: Record<string, string>;
  token: string;
  requests: ArmRequest[];
  /** Resources and their state. */
  resources: Map<string, 'Succeeded' | 'Deleting' | 'deleted'>;
  /** The private IP of each resource's HSM network interface (default 127.0.0.1, where the
   * simulated appliances listen), by lower-case resource id. */
  privateIps: Map<string, string>;
  /** When set, a DELETE takes this long and finishes whether or not anyone polls (as in Azure);
   * otherwise it finishes at the second poll of its operation. */
  deleteMs?: number;
  /** Make the next DELETE fail with this status. */
  failNextDelete?: { status: number; code: string; message: string };
  /** Finish every DELETE in progress now (a test's stand-in for "Azure got there"). */
  finishDeletes(): void;
  close(): Promise<void>;
}

export async function startAzureArm(resourceIds: string[]): Promise<AzureArm> {
  const identity = await startManagedIdentity('fake-arm-token');
  const token = identity.token;
  const operations = new Map<string, { resource: string; polls: number; startedAt: number; deleteMs?: number }>();
  const finished = (o: { polls: number; startedAt: number; deleteMs?: number }) =>
    o.deleteMs === undefined ? o.polls >= 2 : Date.now() - o.startedAt >= o.deleteMs;
  const arm: AzureArm = {
    endpoint: '',
    caFile: '',
    env: {},
    token,
    requests: [],
    resources: new Map(resourceIds.map((id) => [id.toLowerCase(), 'Succeeded' as const])),
    privateIps: new Map(),
    finishDeletes() {
      for (const o of operations.values()) o.deleteMs = 0;
    },
    close: async () => {},
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    arm.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      bearer: req.headers.authorization === `Bearer ${token}`,
    });
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(res, 401, { error: { code: 'AuthenticationFailed', message: 'no valid bearer token' } });
    if (url.searchParams.get('api-version') !== '2021-11-30')
      return json(res, 400, { error: { code: 'InvalidApiVersionParameter', message: 'unsupported api-version' } });
    for (const o of operations.values())
      if (o.deleteMs !== undefined && finished(o)) arm.resources.set(o.resource, 'deleted');
    const op = /\/operationStatuses\/([^/]+)$/.exec(url.pathname);
    if (op && req.method === 'GET') {
      const operation = operations.get(op[1]);
      if (!operation) return json(res, 404, { error: { code: 'NotFound', message: 'no such operation' } });
      operation.polls += 1;
      if (!finished(operation)) return json(res, 200, { status: 'InProgress' });
      arm.resources.set(operation.resource, 'deleted');
      return json(res, 200, { status: 'Succeeded' });
    }
    const key = url.pathname.toLowerCase();
    const state = arm.resources.get(key);
    if (state === undefined || state === 'deleted')
      return json(res, 404, {
        error: { code: 'ResourceNotFound', message: `The Resource '${url.pathname}' was not found.` },
      });
    const name = url.pathname.split('/').pop();
    if (req.method === 'GET') {
      // as ARM describes a Dedicated HSM (api-version 2021-11-30): the HSM's network interface and
      // its private IP, which is where one reaches the appliance
      const networkProfile = {
        subnet: {
          id: `${url.pathname.split('/providers/')[0]}/providers/Microsoft.Network/virtualNetworks/hsm-vnet/subnets/hsmsubnet`,
        },
        networkInterfaces: [
          {
            id: `${url.pathname}/networkInterfaces/${name}_HSMnic`,
            privateIpAddress: arm.privateIps.get(key) ?? '127.0.0.1',
          },
        ],
      };
      return json(res, 200, {
        id: url.pathname,
        name,
        type: 'Microsoft.HardwareSecurityModules/dedicatedHSMs',
        location: 'westeurope',
        sku: { name: 'SafeNet Luna Network HSM A790' },
        properties: { networkProfile, provisioningState: state },
      });
    }
    if (req.method === 'DELETE') {
      if (arm.failNextDelete) {
        const { status, code, message } = arm.failNextDelete;
        arm.failNextDelete = undefined;
        return json(res, status, { error: { code, message } });
      }
      const id = randomBytes(6).toString('hex');
      operations.set(id, { resource: key, polls: 0, startedAt: Date.now(), deleteMs: arm.deleteMs });
      arm.resources.set(key, 'Deleting');
      res.writeHead(202, {
        'Azure-AsyncOperation': `${arm.endpoint}/providers/Microsoft.HardwareSecurityModules/locations/westeurope/operationStatuses/${id}?api-version=2021-11-30`,
        'Retry-After': '0',
      });
      return res.end();
    }
    return json(res, 405, { error: { code: 'MethodNotAllowed', message: req.method } });
  };

  const https = await startStandInHttps('fake-arm', handle);
  arm.endpoint = https.endpoint;
  arm.caFile = https.caFile;
  arm.env = { AZURE_RESOURCE_MANAGER_ENDPOINT: arm.endpoint, AZURE_CA_FILE: https.caFile, ...identity.env };
  arm.close = async () => {
    await https.close();
    await identity.close();
  };
  return arm;
}
