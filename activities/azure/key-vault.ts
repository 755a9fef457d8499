import type { AppConfig } from '../../runtime/config';
import { SecretNotStored, SecretUnavailable } from '../device/secret-errors';
import { azureCredential } from './credential';

// `keyvault:<vault>/<secret>` references, read and written with the official SDK and
// @azure/identity's default credential (in Azure: the worker's managed or workload identity),
// so a worker there keeps no secret on disk.

export interface KeyVaultSettings {
  /** The vault's URL with `{vault}` for its name; https://{vault}.vault.azure.net by default. */
  urlTemplate?: string;
  /** Extra CA certificate (PEM) to trust, e.g. a TLS-inspecting proxy's or a stand-in's. */
  caFile?: string;
}

export const DEFAULT_KEYVAULT_URL = 'https://{vault}.vault.azure.net';

export function keyVaultSettings(c: Pick<AppConfig, 'AZURE_KEYVAULT_URL' | 'AZURE_CA_FILE'>): KeyVaultSettings {
  return { urlTemplate: c.AZURE_KEYVAULT_URL, caFile: c.AZURE_CA_FILE || undefined };
}

export function parseKeyVaultRef(ref: string): { vault: string; name: string } {
  const m = /^keyvault:([^/]+)\/([^/]+)$/.exec(ref);
  if (!m) throw new SecretUnavailable(`not a keyvault:<vault>/<secret> reference: ${ref}`);
  return { vault: m[1], name: m[2] };
}

/** The SDK is loaded on first use: only a worker whose inventory names Key Vault carries it. */
async function newClient(template: string, vault: string, caFile: string | undefined) {
  const [{ SecretClient }, { credential, tlsOptions }] = await Promise.all([
    import('@azure/keyvault-secrets'),
    azureCredential(caFile),
  ]);
  // Key Vault's challenge names the resource to get a token for (https://vault.azure.net), and
  // the SDK checks that the vault's host is under it; a vault not addressed by its own host name
  // (a stand-in, a proxy) cannot pass that check
  const byHostName = /^https:\/\/\{vault\}\./.test(template);
  return new SecretClient(template.replace('{vault}', vault), credential, {
    tlsOptions,
    disableChallengeResourceVerification: !byHostName,
  });
}

const clients = new Map<string, ReturnType<typeof newClient>>();

/** One client per vault and settings for the worker's life, so its token is reused. */
function clientFor(vault: string, settings: KeyVaultSettings): ReturnType<typeof newClient> {
  const template = settings.urlTemplate ?? DEFAULT_KEYVAULT_URL;
  const key = `${template} ${vault} ${settings.caFile ?? ''}`;
  const cached = clients.get(key);
  if (cached) return cached;
  const client = newClient(template, vault, settings.caFile);
  client.catch(() => clients.delete(key));
  clients.set(key, client);
  return client;
}

/** What went wrong, in words that name the reference (never a value). A vault that cannot be
 * reached (no status) stays an ordinary error, which Temporal retries. */
function explained(ref: string, doing: 'read' | 'stored', err: unknown): Error {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.statusCode === 404 && doing === 'read')
    return new SecretNotStored(`secret ${ref} is not in the vault (${e.code ?? 'SecretNotFound'})`);
  const status = [e.statusCode, e.code].filter((x) => x !== undefined).join(' ');
  if (e.statusCode === 401 || e.statusCode === 403) {
    return new SecretUnavailable(
      `secret ${ref} cannot be ${doing}: the vault refuses the worker's identity (${status}); grant it ${doing === 'read' ? 'get' : 'set'} on the vault's secrets`,
    );
  }
  if (e.statusCode !== undefined)
    return new SecretUnavailable(`secret ${ref} cannot be ${doing}: the vault answered ${status}`);
  if (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'AggregateAuthenticationError'
  ) {
    return new SecretUnavailable(
      `secret ${ref} cannot be ${doing}: no Azure credential for Key Vault (${e.name}; a managed or workload identity, AZURE_CLIENT_ID/SECRET/TENANT_ID, or az login)`,
    );
  }
  return new Error(`secret ${ref} cannot be ${doing} now: the vault did not answer (${e.code ?? e.name ?? 'error'})`);
}

export async function readKeyVaultSecret(ref: string, settings: KeyVaultSettings): Promise<string> {
  const { vault, name } = parseKeyVaultRef(ref);
  try {
    const { value } = await (await clientFor(vault, settings)).getSecret(name);
    if (value === undefined || value === '') throw new SecretNotStored(`secret ${ref} is empty in the vault`);
    return value;
  } catch (err) {
    throw err instanceof SecretUnavailable ? err : explained(ref, 'read', err);
  }
}

/** Store a value as the secret's new version (the earlier ones stay in the vault's history). */
export async function writeKeyVaultSecret(ref: string, value: string, settings: KeyVaultSettings): Promise<void> {
  const { vault, name } = parseKeyVaultRef(ref);
  try {
    await (await clientFor(vault, settings)).setSecret(name, value, { contentType: 'password' });
  } catch (err) {
    throw explained(ref, 'stored', err);
  }
}
