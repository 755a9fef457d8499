import { nativeEd25519Verify } from '../../audit/verifier/ed25519';
import { generateSigningKey, signerFromPem } from '../../client/decision-signer';
import {
  CANCEL_POINT,
  decisionMessage,
  decisionSignatureValid,
  gatePoint,
  interventionPoint,
  runChallenge,
  type DecisionFields,
} from '../../ceremonies/decision-signature';

// The workflow verifies decisions with @noble (pure JS, in the sandbox); the auditor with node's
// OpenSSL. Both must give the same verdict on what a signer makes and on what an attacker edits.

const fields: DecisionFields = {
  ceremonyId: 'ceremony-jira-OPS-1',
  gate: 'approve',
  planDigest: 'a'.repeat(64),
  decision: 'approve',
  actor: 'alice@example.com',
  text: 'ok',
  nonce: 'n-1',
  at: '2026-11-29T10:00:00.000Z',
};
const signer = signerFromPem(generateSigningKey().privatePem);
const other = signerFromPem(generateSigningKey().privatePem);

const both = (f: DecisionFields, s: ReturnType<typeof signer.sign>) => [
  decisionSignatureValid(f, s),
  decisionSignatureValid(f, s, nativeEd25519Verify),
];

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
  expect(both(fields, { ...signature, publicKey: `ed25519:${Buffer.alloc(32).toString('base64url')}` })).toEqual([
    false,
    false,
  ]);
});

test("v2 signs the run's challenge: a v2 signature fails for another challenge, without one (as v1), and a v1 signature fails with one", () => {
  const challenge = runChallenge('run-a', gatePoint('approve'));
  const v2 = { ...fields, challenge };
  const signature = signer.sign(v2);
  expect(both(v2, signature)).toEqual([true, true]);
  expect(both({ ...v2, challenge: runChallenge('run-b', gatePoint('approve')) }, signature)).toEqual([false, false]);
  expect(both(fields, signature)).toEqual([false, false]);
  expect(both(v2, signer.sign(fields))).toEqual([false, false]);
  expect(JSON.parse(new TextDecoder().decode(decisionMessage(v2)))).toMatchObject({ v: 2, challenge });
  expect(JSON.parse(new TextDecoder().decode(decisionMessage(fields))).v).toBe(1);
});

test('a challenge depends on the run and the point, nothing else', () => {
  expect(runChallenge('run-a', gatePoint('approve'))).toMatch(/^[0-9a-f]{32}$/);
  expect(runChallenge('run-a', gatePoint('approve'))).toBe(runChallenge('run-a', gatePoint('approve')));
  const all = [
    runChallenge('run-a', gatePoint('approve')),
    runChallenge('run-b', gatePoint('approve')),
    runChallenge('run-a', gatePoint('signoff')),
    runChallenge('run-a', interventionPoint(1)),
    runChallenge('run-a', interventionPoint(2)),
    runChallenge('run-a', CANCEL_POINT),
  ];
  expect(new Set(all).size).toBe(all.length);
});

test('a resolve or cancel is signed as a decision is, its kind covered', () => {
  const resolve: DecisionFields = {
    ...fields,
    gate: 'effect',
    decision: 'retry',
    actor: 'operator@example.com',
    text: 'fixed by hand',
    challenge: runChallenge('run-a', interventionPoint(1)),
  };
  const signature = signer.sign(resolve);
  expect(both(resolve, signature)).toEqual([true, true]);
  expect(both({ ...resolve, decision: 'abort' }, signature)).toEqual([false, false]);
  expect(both({ ...resolve, gate: 'other' }, signature)).toEqual([false, false]);
});
