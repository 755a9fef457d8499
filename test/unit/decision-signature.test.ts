import { nativeEd25519Verify } from '../../audit/ed25519';
import { generateSigningKey, signerFromPem } from '../../client/decision-signer';
import { decisionSignatureValid, type DecisionFields } from '../../ceremonies/decision-signature';

// The workflow verifies decisions with @noble (pure JS, in the sandbox); the auditor with node's
// OpenSSL. Both must give the same verdict on what a signer makes and on what an attacker edits.

const fields: DecisionFields = { ceremonyId: 'ceremony-jira-OPS-1', gate: 'approve', planDigest: 'a'.repeat(64), decision: 'approve', actor: 'alice@example.com', text: 'ok', nonce: 'n-1', at: '2026-11-29T10:00:00.000Z' };
const signer = signerFromPem(generateSigningKey().privatePem);
const other = signerFromPem(generateSigningKey().privatePem);

const both = (f: DecisionFields, s: ReturnType<typeof signer.sign>) => [decisionSignatureValid(f, s), decisionSignatureValid(f, s, nativeEd25519Verify)];

test('a signed decision verifies with both verifiers', () => {
  expect(both(fields, signer.sign(fields))).toEqual([true, true]);
});

test('an edited field, another key, or a mangled signature fails with both', () => {
  const signature = signer.sign(fields);
  expect(both({ ...fields, actor: 'mallory@example.com' }, signature)).toEqual([false, false]);
  expect(both({ ...fields, text: 'ok!' }, signature)).toEqual([false, false]);
  expect(both(fields, { ...signature, publicKey: other.publicKey })).toEqual([false, false]);
  const flipped = Buffer.from(signature.value, 'base64url');
  flipped[10] ^= 1;
  expect(both(fields, { ...signature, value: flipped.toString('base64url') })).toEqual([false, false]);
  expect(both(fields, { ...signature, value: signature.value.slice(0, -4) })).toEqual([false, false]);
  expect(both(fields, { ...signature, publicKey: 'ed25519:AAAA' })).toEqual([false, false]);
  // the all-zero point is not a valid key: OpenSSL refuses it without throwing out of the verifier
  expect(both(fields, { ...signature, publicKey: `ed25519:${Buffer.alloc(32).toString('base64url')}` })).toEqual([false, false]);
});
