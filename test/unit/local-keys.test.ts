import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { signerFromPem } from '../../client/decision-signer';
import { ensureLocalKey, localKeyFile } from '../../simulator/local-keys';
import { localSigner } from '../../scripts/local-signer';

// The local stack's keys are made by the simulator (node:crypto) and used by the client
// (client/decision-signer.ts): the two share no code, so check they agree on the key's format.

test('a local key is an Ed25519 PKCS#8 PEM (mode 600) whose public key is the one the client derives from it, made once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-keys-'));
  const publicKey = ensureLocalKey(dir, 'alice@example.com');
  const file = localKeyFile(dir, 'alice@example.com');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  expect(publicKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
  expect(signerFromPem(readFileSync(file, 'utf8')).publicKey).toBe(publicKey);
  expect(localSigner(dir, 'alice@example.com')?.publicKey).toBe(publicKey);
  expect(ensureLocalKey(dir, 'alice@example.com')).toBe(publicKey);
  expect(localSigner(dir, 'bob@example.com')).toBeUndefined();
});

test('a key file that is not Ed25519 is refused, not listed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-keys-'));
  ensureLocalKey(dir, 'x'); // makes the keys dir
  writeFileSync(
    localKeyFile(dir, 'rsa'),
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey,
  );
  expect(() => ensureLocalKey(dir, 'rsa')).toThrow(/rsa key, not an Ed25519 one/);
});
