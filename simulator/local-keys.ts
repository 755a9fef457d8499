import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, signerFromPem, type DecisionSigner } from '../client/decision-signer';

// The local stack's signing keys: one per person of the sample inventory (so `ceremony approve
// --key .data/keys/<email>.pem` and the demo can sign) and the web app's attestation key.
// Generated once under the data dir (mode 600) and kept, like the link keys.

export const localKeyFile = (dataDir: string, name: string) => join(dataDir, 'keys', `${name}.pem`);
export const ATTESTATION_KEY_NAME = 'web-attestation';

/** The public key of `name`'s local key, generating the pair on first use. */
export function ensureLocalKey(dataDir: string, name: string): string {
  const file = localKeyFile(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(file, generateSigningKey().privatePem, { mode: 0o600 });
  }
  return signerFromPem(readFileSync(file, 'utf8')).publicKey;
}

/** Signs as `actor` with their local key, when the stack generated one. */
export function localSigner(dataDir: string, actor: string): DecisionSigner | undefined {
  const file = localKeyFile(dataDir, actor);
  return existsSync(file) ? signerFromPem(readFileSync(file, 'utf8'), file) : undefined;
}
