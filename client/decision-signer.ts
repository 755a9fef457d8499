import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decisionMessage, type DecisionFields, type DecisionSignature } from '../ceremonies/decision-signature';

/** Signs decisions with one Ed25519 key: a person's own (CLI) or the web app's attestation key. */
export interface DecisionSigner {
  /** `ed25519:<base64url>`, as the inventory lists it. */
  publicKey: string;
  sign(fields: DecisionFields): DecisionSignature;
}

/** `key`: a private or public KeyObject, or a public key in PEM. */
export function publicKeyText(key: KeyObject | string): string {
  return `ed25519:${createPublicKey(key).export({ format: 'jwk' }).x}`;
}

export function signerFromPem(pem: string, source = 'the key'): DecisionSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`${source} is not a private key in PEM form (ceremony keygen writes one)`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${source} is a ${key.asymmetricKeyType} key; decisions are signed with Ed25519 (ceremony keygen)`);
  const publicKey = publicKeyText(key);
  return {
    publicKey,
    sign: (fields) => ({
      alg: 'ed25519',
      publicKey,
      value: sign(null, decisionMessage(fields), key).toString('base64url'),
    }),
  };
}

/** A key from a file path, or a reference `file:/path` or `env:NAME` (the PEM text in a variable). */
export function loadSigner(ref: string, env: NodeJS.ProcessEnv = process.env): DecisionSigner {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (!value) throw new Error(`signing key ${ref}: the variable is not set`);
    return signerFromPem(value, `signing key ${ref}`);
  }
  const path = ref.startsWith('file:') ? ref.slice(5) : ref;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`signing key ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return signerFromPem(pem, `signing key ${path}`);
}

/** A new Ed25519 key pair: the private key as PKCS#8 PEM, the public key as the inventory lists it
 * (read from the pair's PEM: eslint.config.mjs says why a generated KeyObject is never exported). */
export function generateSigningKey(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privatePem: privateKey, publicKey: publicKeyText(publicKey) };
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}
