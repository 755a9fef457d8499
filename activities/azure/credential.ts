import { readFileSync } from 'node:fs';

/** @azure/identity's default chain (environment service principal, workload or managed identity,
 * Azure CLI), trusting `caFile` (PEM) too when given; the same TLS options for the client that
 * uses it. @azure/identity is loaded on first use, as the SDK clients are. */
export async function azureCredential(caFile: string | undefined) {
  const { DefaultAzureCredential } = await import('@azure/identity');
  const tlsOptions = caFile ? { ca: readFileSync(caFile, 'utf8') } : undefined;
  const credential = new DefaultAzureCredential({ tlsOptions });
  return { credential, tlsOptions };
}
