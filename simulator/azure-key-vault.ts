import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, startManagedIdentity, startStandInHttps } from './azure-stand-in';

// Azure Key Vault's secrets REST API, as far as we use it, for the tests (Azure is out of reach
// here): GET /secrets/{name}[/{version}] and PUT /secrets/{name} (a new version), behind Key
// Vault's challenge (a request without a token gets 401 and a WWW-Authenticate naming the
// resource to ask a token for), with a managed-identity token endpoint for @azure/identity. The
// worker talks to it through the official SDK (@azure/keyvault-secrets). Every vault is served
// at a path of its own, https://127.0.0.1:<port>/<vault>, standing for https://<vault>.vault.azure.net
// (127.0.0.1 has no names under it); secret ids are written as Azure writes them.

export interface KeyVaultRequest {
  method: string;
  vault: string;
  path: string;
  apiVersion: string | null;
  bearer: boolean;
  status: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  created: number;
}

export interface AzureKeyVault {
  endpoint: string;
  caFile: string;
  /** AZURE_KEYVAULT_URL, AZURE_CA_FILE and the managed identity's variables. */
  env: Record<string, string>;
  token: string;
  requests: KeyVaultRequest[];
  /** Secrets by vault, then by name: their versions, the latest last. */
  vaults: Map<string, Map<string, SecretVersion[]>>;
  /** Vaults whose access policy or RBAC does not let the worker's identity in: 403. */
  forbidden: Set<string>;
  /** Answer this many of the next requests with 429 Too Many Requests (Retry-After 1 s). */
  throttleNext: number;
  /** Store a secret (a new version) as an administrator would. */
  set(vault: string, name: string, value: string): void;
  /** The latest value of a secret. */
  get(vault: string, name: string): string | undefined;
  close(): Promise<void>;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

const error = (
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) => json(res, status, { error: { code, message } }, headers);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startAzureKeyVault(): Promise<AzureKeyVault> {
  const identity = await startManagedIdentity('fake-keyvault-token');
  const kv: AzureKeyVault = {
    endpoint: '',
    caFile: '',
    env: {},
    token: identity.token,
    requests: [],
    vaults: new Map(),
    forbidden: new Set(),
    throttleNext: 0,
    set: (vault, name, value) => void store(vault, name, value),
    get: (vault, name) => kv.vaults.get(vault)?.get(name.toLowerCase())?.at(-1)?.value,
    close: async () => {},
  };
  // Key Vault's secret names are case-insensitive
  const store = (vault: string, name: string, value: string): SecretVersion => {
    const secrets = kv.vaults.get(vault) ?? new Map<string, SecretVersion[]>();
    kv.vaults.set(vault, secrets);
    const entry = { version: randomBytes(16).toString('hex'), value, created: Math.floor(Date.now() / 1000) };
    secrets.set(name.toLowerCase(), [...(secrets.get(name.toLowerCase()) ?? []), entry]);
    return entry;
  };
  const bundle = (vault: string, name: string, s: SecretVersion) => ({
    value: s.value,
    id: `https://${vault}.vault.azure.net/secrets/${name}/${s.version}`,
    attributes: {
      enabled: true,
      created: s.created,
      updated: s.created,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    },
    tags: {},
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = /^\/([^/]+)\/secrets\/([A-Za-z0-9-]+)(?:\/([0-9a-f]*))?$/.exec(url.pathname);
    const bearer = req.headers.authorization === `Bearer ${kv.token}`;
    const record: KeyVaultRequest = {
      method: req.method ?? '',
      vault: m?.[1] ?? '',
      path: url.pathname,
      apiVersion: url.searchParams.get('api-version'),
      bearer,
      status: 0,
    };
    kv.requests.push(record);
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      record.status = status;
      error(res, status, code, message, headers);
    };
    const body = await readBody(req);
    if (!bearer) {
      return answer(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
        'WWW-Authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
      });
    }
    if (!record.apiVersion) return answer(400, 'BadParameter', 'The request URI contains an invalid version: ', {});
    if (!m) return answer(404, 'NotFound', 'no such path', {});
    const [, vault, name, version] = m;
    if (kv.forbidden.has(vault)) {
      return answer(
        403,
        'Forbidden',
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nVault: ${vault};location=westeurope`,
      );
    }
    if (kv.throttleNext > 0) {
      kv.throttleNext -= 1;
      return answer(
        429,
        'Throttled',
        'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
        { 'Retry-After': '1' },
      );
    }
    if (req.method === 'GET') {
      const versions = kv.vaults.get(vault)?.get(name.toLowerCase()) ?? [];
      const found = version ? versions.find((v) => v.version === version) : versions.at(-1);
      if (!found)
        return answer(
          404,
          'SecretNotFound',
          `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
        );
      record.status = 200;
      return json(res, 200, bundle(vault, name, found));
    }
    if (req.method === 'PUT' && !version) {
      let value: unknown;
      try {
        value = (JSON.parse(body) as { value?: unknown }).value;
      } catch {
        value = undefined;
      }
      if (typeof value !== 'string') return answer(400, 'BadParameter', 'Property value is required.');
      record.status = 200;
      return json(res, 200, bundle(vault, name, store(vault, name, value)));
    }
    return answer(405, 'MethodNotAllowed', `${req.method} is not allowed here`);
  };

  const https = await startStandInHttps('fake-keyvault', (req, res) => void handle(req, res));
  kv.endpoint = https.endpoint;
  kv.caFile = https.caFile;
  kv.env = { AZURE_KEYVAULT_URL: `${https.endpoint}/{vault}`, AZURE_CA_FILE: https.caFile, ...identity.env };
  kv.close = async () => {
    await https.close();
    await identity.close();
  };
  return kv;
}
