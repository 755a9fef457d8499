import {
  checkFormToken,
  createLinkToken,
  formToken,
  LinkError,
  newLinkKeyEntry,
  parseLinkKeys,
  verifyLinkToken,
} from '../../ceremonies/approval-links';

const keys = parseLinkKeys(`${newLinkKeyEntry('k2')},${newLinkKeyEntry('k1')}`);
const claims = {
  kind: 'approval' as const,
  ceremonyId: 'ceremony-jira-OPS-1',
  gate: 'approve',
  approver: 'alice@example.com',
  digest: 'a'.repeat(64),
  exp: Math.floor(Date.now() / 1000) + 600,
};

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LinkError) return err.problem;
    throw err;
  }
  return 'none';
}

test('a signed link verifies and names what it approves', () => {
  const { token, nonce } = createLinkToken(keys, claims);
  expect(verifyLinkToken(keys, token)).toEqual({ v: 1, kid: 'k2', nonce, ...claims });
});

test('tampered, forged, expired, unknown-key and malformed links are refused', () => {
  const { token } = createLinkToken(keys, claims);
  const [body, sig] = token.split('.');
  const edited = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), approver: 'mallory@example.com' }),
  ).toString('base64url');
  expect(problem(() => verifyLinkToken(keys, `${edited}.${sig}`))).toBe('bad-signature');
  expect(problem(() => verifyLinkToken(parseLinkKeys(newLinkKeyEntry('k2')), token))).toBe('bad-signature');
  expect(problem(() => verifyLinkToken(parseLinkKeys(newLinkKeyEntry('k9')), token))).toBe('unknown-key');
  expect(problem(() => verifyLinkToken(keys, token, Date.now() + 601_000))).toBe('expired');
  expect(problem(() => verifyLinkToken(keys, 'not a token'))).toBe('malformed');
  expect(problem(() => verifyLinkToken(keys, `${Buffer.from('{"v":2}').toString('base64url')}.${sig}`))).toBe(
    'malformed',
  );
});

test('keys rotate: a link signed by an older key still verifies while that key is listed', () => {
  const old = parseLinkKeys(newLinkKeyEntry('k1'));
  const { token } = createLinkToken(old, claims);
  const rotated = parseLinkKeys(`${newLinkKeyEntry('k2')},k1:${old.keys[0][1].toString('base64')}`);
  expect(verifyLinkToken(rotated, token).kid).toBe('k1');
});

test('the form token binds the POST to the page rendered for this link', () => {
  const a = verifyLinkToken(keys, createLinkToken(keys, claims).token);
  const b = verifyLinkToken(keys, createLinkToken(keys, claims).token);
  expect(checkFormToken(keys, a, formToken(keys, a))).toBe(true);
  expect(checkFormToken(keys, a, formToken(keys, b))).toBe(false);
  expect(checkFormToken(keys, a, undefined)).toBe(false);
});

test('bad key configuration says what is expected', () => {
  expect(() => parseLinkKeys('short:abc')).toThrow('expected "kid:base64key" entries');
  expect(() => parseLinkKeys('')).toThrow('none configured');
});
