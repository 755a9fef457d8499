import { nativeEd25519Verify } from '../../audit/verifier/ed25519';
import { generateSigningKey, signerFromPem } from '../../client/decision-signer';
import {
  decisionMessage,
  decisionSignatureValid,
  gatePoint,
  runChallenge,
  type DecisionFields,
} from '../../ceremonies/decision-signature';
import { parseApproveInput, parseResolveInput } from '../../workflows/inputs';
import { loadConfig, signInSettings } from '../../runtime/config';
import { SessionStore } from '../../web/sessions';
import { localPath } from '../../web/sign-in-pages';

// The sign-in's pieces that need no provider: the signed identity (message v3), the inputs that
// carry it, the OIDC_* configuration, sessions that end with the id token, and the return path.

const challenge = runChallenge('run-a', gatePoint('approve'));
const fields: DecisionFields = {
  ceremonyId: 'ceremony-jira-OPS-1',
  gate: 'approve',
  planDigest: 'a'.repeat(64),
  decision: 'approve',
  actor: 'alice@example.com',
  text: '',
  nonce: 'n-1',
  at: '2026-12-06T10:00:00.000Z',
  challenge,
};
const identity = { issuer: 'https://login.microsoftonline.com/tenant-guid/v2.0', subject: 'AAAAsub' };
const signer = signerFromPem(generateSigningKey().privatePem);
const both = (f: DecisionFields, s: ReturnType<typeof signer.sign>) => [
  decisionSignatureValid(f, s),
  decisionSignatureValid(f, s, nativeEd25519Verify),
];

test('v3 signs the issuer and subject: another subject or issuer, or none, fails; v2 decisions are unchanged', () => {
  const v3 = { ...fields, identity };
  const signature = signer.sign(v3);
  expect(both(v3, signature)).toEqual([true, true]);
  expect(both({ ...v3, identity: { ...identity, subject: 'BBBBsub' } }, signature)).toEqual([false, false]);
  expect(both({ ...v3, identity: { ...identity, issuer: 'https://evil.example/v2.0' } }, signature)).toEqual([
    false,
    false,
  ]);
  expect(both(fields, signature)).toEqual([false, false]);
  expect(JSON.parse(new TextDecoder().decode(decisionMessage(v3)))).toMatchObject({ v: 3, challenge, identity });
  expect(JSON.parse(new TextDecoder().decode(decisionMessage(fields))).v).toBe(2);
});

test('an approve may carry an identity of the right shape; a resolve carries none', () => {
  const input = {
    gate: 'approve',
    approver: 'Alice@example.com',
    planDigest: 'a'.repeat(64),
    nonce: 'n'.repeat(16),
    at: '2026-12-06T10:00:00.000Z',
    signature: { alg: 'ed25519', publicKey: signer.publicKey, value: 'x'.repeat(86) },
  };
  expect(parseApproveInput({ ...input, identity }).identity).toEqual(identity);
  expect(parseApproveInput(input).identity).toBeUndefined();
  expect(() => parseApproveInput({ ...input, identity: { issuer: 'not a url', subject: 'x' } })).toThrow(
    'identity: issuer: expected the issuer URL',
  );
  expect(() => parseApproveInput({ ...input, identity: { ...identity, extra: 1 } })).toThrow('Unrecognized key');
  expect(() =>
    parseResolveInput({ action: 'retry', by: 'ops@example.com', reason: 'again', ...input, identity }),
  ).toThrow('Unrecognized key: "identity"');
});

test('OIDC_* configuration: off without an issuer, complete with one, secrets by reference, https unless local', () => {
  expect(signInSettings(loadConfig({}))).toBeUndefined();
  const on = {
    OIDC_ISSUER: 'https://login.microsoftonline.com/tenant-guid/v2.0',
    OIDC_CLIENT_ID: 'client',
    OIDC_CLIENT_SECRET: 'keyvault:my-vault/ceremonies-oidc',
    CEREMONY_PUBLIC_URL: 'https://ceremonies.example.com',
  };
  expect(signInSettings(loadConfig(on))).toMatchObject({
    clientId: 'client',
    clientSecretRef: 'keyvault:my-vault/ceremonies-oidc',
    identityClaim: 'email',
    scopes: 'openid email profile',
    redirectUrl: new URL('https://ceremonies.example.com/auth/callback'),
  });
  expect(() => loadConfig({ ...on, OIDC_CLIENT_ID: undefined })).toThrow(/OIDC_CLIENT_ID.*required/);
  expect(() => loadConfig({ ...on, OIDC_CLIENT_SECRET: 'the-secret-itself' })).toThrow(
    /OIDC_CLIENT_SECRET.*expected a secret reference/,
  );
  expect(() => loadConfig({ ...on, OIDC_ISSUER: 'http://idp.example.com' })).toThrow(/OIDC_ISSUER.*https/);
  expect(() => loadConfig({ OIDC_CLIENT_ID: 'client' })).toThrow(/OIDC_CLIENT_ID needs OIDC_ISSUER/);
  expect(signInSettings(loadConfig({ ...on, OIDC_ISSUER: 'http://127.0.0.1:8091' }))?.issuer.href).toBe(
    'http://127.0.0.1:8091/',
  );
  expect(() => loadConfig({ ...on, OIDC_SCOPES: 'email profile' })).toThrow(/OIDC_SCOPES/);
});

test("a signed-in session ends with its id token when that comes first, and carries the person's identity", () => {
  const sessions = new SessionStore();
  const t = 1_800_000_000_000;
  const id = sessions.open('alice@example.com', t, { identity, until: t + 3_600_000 });
  expect(sessions.person(id, t)).toEqual({ email: 'alice@example.com', identity });
  expect(sessions.secondsLeft(id, t)).toBe(3600);
  expect(sessions.person(id, t + 3_600_000)).toBeUndefined();
  const long = sessions.open('alice@example.com', t, { until: t + 48 * 3_600_000 });
  expect(sessions.email(long, t + 8 * 3_600_000)).toBeUndefined();
});

test('a sign-in comes back only to a path of this app', () => {
  expect(localPath('/decide/abc.def')).toBe('/decide/abc.def');
  expect(localPath('/ceremonies/x?y=1')).toBe('/ceremonies/x?y=1');
  for (const bad of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'decide/x', '', undefined, 42])
    expect(localPath(bad)).toBeUndefined();
});
