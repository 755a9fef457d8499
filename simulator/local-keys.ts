import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The local stack's signing keys: one per person of the sample inventory (so `ceremony approve
// --key .data/keys/<email>.pem` and the demo can sign) and the web app's attestation key.
// Generated once under the data dir (mode 600) and kept, like the link keys. Each is an Ed25519
// private key in PKCS#8 PEM (as `ceremony keygen` writes one); the inventory lists its public key
// as `ed25519:<base64url of the raw key>` (the JWK `x`). Signing with them is the client's job
// (scripts/local-signer.ts): the simulator only makes the keys and names the public halves.

export const localKeyFile = (dataDir: string, name: string) => join(dataDir, 'keys', `${name}.pem`);
export const ATTESTATION_KEY_NAME = 'web-attestation';

/** The public key of `name`'s local key, generating the pair on first use. */
export function ensureLocalKey(dataDir: string, name: string): string {
  const file = localKeyFile(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(file, privateKey, { mode: 0o600 });
  }
  const key = createPrivateKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${file} is a ${key.asymmetricKeyType} key, not an Ed25519 one`);
  return `ed25519:${key.export({ format: 'jwk' }).x}`;
}
