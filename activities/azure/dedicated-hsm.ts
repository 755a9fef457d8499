import type { AzureDedicatedHSMResourceProvider } from '@azure/arm-hardwaresecuritymodules';
import type { AppConfig } from '../../runtime/config';
import { azureCredential } from './credential';

/** `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.HardwareSecurityModules/dedicatedHSMs/<name>` */
export function parseDedicatedHsmId(id: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.HardwareSecurityModules\/dedicatedHSMs\/([^/]+)$/i.exec(
      id,
    );
  if (!m) throw new Error(`not a Dedicated HSM resource id: ${id}`);
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}

export interface AzureSettings {
  /** ARM endpoint; the public cloud's by default (sovereign clouds and tests set another). */
  endpoint?: string;
  /** Extra CA certificate (PEM) to trust for the ARM endpoint, e.g. a TLS-inspecting proxy. */
  caFile?: string;
}

export function azureSettings(c: Pick<AppConfig, 'AZURE_RESOURCE_MANAGER_ENDPOINT' | 'AZURE_CA_FILE'>): AzureSettings {
  return { endpoint: c.AZURE_RESOURCE_MANAGER_ENDPOINT || undefined, caFile: c.AZURE_CA_FILE || undefined };
}

/** The official ARM client with @azure/identity's default chain (environment service principal,
 * workload or managed identity, Azure CLI). Loaded on first use: the Azure SDK is ~20 MiB of the
 * worker's memory, and only a deprovision calls it. */
export async function dedicatedHsmClient(
  subscriptionId: string,
  settings: AzureSettings,
): Promise<AzureDedicatedHSMResourceProvider> {
  const [{ AzureDedicatedHSMResourceProvider }, { credential, tlsOptions }] = await Promise.all([
    import('@azure/arm-hardwaresecuritymodules'),
    azureCredential(settings.caFile),
  ]);
  return new AzureDedicatedHSMResourceProvider(credential, subscriptionId, { endpoint: settings.endpoint, tlsOptions });
}
