#!/usr/bin/env node
import { CeremonyClient } from '../client/ceremony-client';
import { loadConfig } from '../runtime/config';
import { buildWebServer } from './server';
import { webhookSecretsFromEnv } from './webhooks';
import { dataConverterFor } from '../runtime/codec';
import { linkKeysFromEnv } from '../ceremonies/approval-links';
import { loadInventory } from '../ceremonies/inventory';
import { loadSigner } from '../client/decision-signer';

/** `CEREMONY_ATTESTATION_KEY`: the web app's Ed25519 key (a file, or file:/env: reference); its
 * public key belongs in the worker's inventory under attestationKeys. */
function attestationFromEnv() {
  const ref = process.env.CEREMONY_ATTESTATION_KEY;
  if (!ref) throw new Error('no attestation key: set CEREMONY_ATTESTATION_KEY (ceremony keygen makes one; its public key goes in the inventory\'s attestationKeys)');
  return loadSigner(ref);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const port = Number(process.env.WEB_PORT ?? 8080);
  const { ceremonies, connection } = await CeremonyClient.connect(config);
  const inventory = loadInventory(config.CEREMONY_INVENTORY);
  const app = await buildWebServer({
    ceremonies,
    linkKeys: linkKeysFromEnv(),
    attestation: attestationFromEnv(),
    operatorLogins: inventory.operatorLogins,
    payloadCodec: dataConverterFor(config.CEREMONY_PAYLOAD_KEYS)?.payloadCodecs?.[0],
    webhooks: { secrets: webhookSecretsFromEnv(), inventory: () => loadInventory(config.CEREMONY_INVENTORY) },
    temporalUiUrl: process.env.TEMPORAL_UI_URL,
    publicUrl: config.CEREMONY_PUBLIC_URL,
    logger: true,
  });
  await app.listen({ host: '127.0.0.1', port });
  const stop = async () => {
    await app.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`web server failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
