#!/usr/bin/env node
import { CeremonyClient } from '../client/ceremony-client';
import { loadConfig, signInSettings, type AppConfig } from '../runtime/config';
import { resolveSecret } from '../activities/device/secrets';
import { keyVaultSettings } from '../activities/azure/key-vault';
import { OidcRelyingParty } from './oidc-relying-party';
import { buildWebServer } from './server';
import { webhookSecrets } from './webhooks';
import { dataConverterFor } from '../runtime/codec';
import { loadLinkKeys } from '../ceremonies/approval-links';
import { loadInventory } from '../ceremonies/inventory';
import { loadSigner } from '../client/decision-signer';
import { CeremonyMetrics } from './ceremony-metrics';
import { serveMetrics } from './metrics-server';
import { startTracing, stopTracing } from '../runtime/tracing';

/** `CEREMONY_ATTESTATION_KEY`: the web app's Ed25519 key (a file, or file:/env: reference); its
 * public key belongs in the worker's inventory under attestationKeys. */
function attestation(ref: string | undefined) {
  if (!ref)
    throw new Error(
      "no attestation key: set CEREMONY_ATTESTATION_KEY (ceremony keygen makes one; its public key goes in the inventory's attestationKeys)",
    );
  return loadSigner(ref);
}

/** The OpenID Connect sign-in (OIDC_*), its client secret read from its reference, or undefined. */
async function relyingParty(config: AppConfig): Promise<OidcRelyingParty | undefined> {
  const settings = signInSettings(config);
  if (!settings) return undefined;
  const clientSecret = await resolveSecret(settings.clientSecretRef, { keyVault: keyVaultSettings(config) }).catch(
    (err: Error) => {
      throw new Error(`OIDC_CLIENT_SECRET ${settings.clientSecretRef}: ${err.message}`);
    },
  );
  return OidcRelyingParty.discover({ ...settings, clientSecret });
}

async function main(): Promise<void> {
  const config = loadConfig();
  await startTracing(config, 'web');
  const { ceremonies, connection } = await CeremonyClient.connect(config);
  const inventory = loadInventory(config.CEREMONY_INVENTORY);
  const signInRp = await relyingParty(config);
  const payloadCodec = dataConverterFor(config.CEREMONY_PAYLOAD_KEYS)?.payloadCodecs?.[0];
  const metrics =
    config.WEB_METRICS_ADDRESS === 'off' ? undefined : new CeremonyMetrics({ ceremonies, codec: payloadCodec });
  const app = await buildWebServer({
    ceremonies,
    linkKeys: loadLinkKeys(config),
    attestation: attestation(config.CEREMONY_ATTESTATION_KEY),
    operatorLogins: inventory.operatorLogins,
    signIn: signInRp ? { relyingParty: signInRp, operators: inventory.operators } : undefined,
    payloadCodec,
    webhooks: { secrets: webhookSecrets(config), inventory: () => loadInventory(config.CEREMONY_INVENTORY) },
    temporalUiUrl: config.TEMPORAL_UI_URL,
    publicUrl: config.CEREMONY_PUBLIC_URL,
    logger: { level: config.LOG_LEVEL, format: config.LOG_FORMAT },
    refusals: metrics,
  });
  await app.listen({ host: '127.0.0.1', port: config.WEB_PORT });
  const metricsServer = metrics ? await serveMetrics(metrics, config.WEB_METRICS_ADDRESS) : undefined;
  app.log.info({ metrics: metricsServer?.url ?? 'off' }, 'ceremony metrics');
  const stop = async () => {
    metricsServer?.server.close();
    await app.close();
    await connection.close();
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(`web server failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
