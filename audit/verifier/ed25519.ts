import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Ed25519Verify } from '../../ceremonies/decision-signature';

// The auditor checks thousands of decision signatures; node's Ed25519 (OpenSSL) does it ~30x
// faster than the workflow's pure-JS verifier. OpenSSL's check is RFC 8032's, no more permissive
// than @noble's (ZIP 215): a signature the auditor accepts, the workflow accepted too.

const keys = new Map<string, KeyObject>();
const MAX_KEYS = 10_000;

function keyObject(publicKey: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey).toString('base64url');
  let key = keys.get(x);
  if (!key) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    keys.set(x, key);
  }
  return key;
}

export const nativeEd25519Verify: Ed25519Verify = (signature, message, publicKey) => {
  try {
    return verify(null, message, keyObject(publicKey), signature);
  } catch {
    return false;
  }
};
