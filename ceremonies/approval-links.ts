import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time';
import { parseKeyRing, type KeyRing } from './key-ring';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

// Signed, expiring, single-use approval links. The token names the ceremony, gate, approver and
// plan digest; the workflow records each token's nonce when it is used, so a second use is
// refused there. HMAC-SHA256 with a key id, so keys rotate: the first key signs, all verify.

export const LinkPayloadSchema = z.object({
  v: z.literal(1),
  kid: z.string(),
  kind: z.enum(['approval', 'signoff']),
  ceremonyId: z.string(),
  gate: z.string(),
  approver: z.string(),
  digest: z.string(),
  /** Expiry, seconds since the epoch. */
  exp: z.number().int(),
  nonce: z.string(),
});
export type LinkPayload = z.infer<typeof LinkPayloadSchema>;

export type LinkProblem = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired';

export class LinkError extends Error {
  constructor(
    readonly problem: LinkProblem,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export interface LinkKeys {
  /** kid -> key; the first entry signs. */
  keys: KeyRing;
}

const LINK_KEY_MALFORMED = 'link keys: expected "kid:base64key" entries (at least 16 bytes of key)';

/** `kid:base64key,kid2:base64key` (the first signs). */
export function parseLinkKeys(text: string): LinkKeys {
  return {
    keys: parseKeyRing(text, {
      malformed: LINK_KEY_MALFORMED,
      empty: 'link keys: none configured',
      lengthProblem: (_kid, key) => (key.length < 16 ? LINK_KEY_MALFORMED : undefined),
    }),
  };
}

/** From `CEREMONY_LINK_KEYS`, or else the file named by `CEREMONY_LINK_KEYS_FILE`. */
export function loadLinkKeys(settings: { CEREMONY_LINK_KEYS?: string; CEREMONY_LINK_KEYS_FILE?: string }): LinkKeys {
  if (settings.CEREMONY_LINK_KEYS) return parseLinkKeys(settings.CEREMONY_LINK_KEYS);
  if (settings.CEREMONY_LINK_KEYS_FILE) return parseLinkKeys(readFileSync(settings.CEREMONY_LINK_KEYS_FILE, 'utf8'));
  throw new Error('no approval link keys: set CEREMONY_LINK_KEYS or CEREMONY_LINK_KEYS_FILE');
}

export function newLinkKeyEntry(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');
const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest();

export function createLinkToken(
  keys: LinkKeys,
  payload: Omit<LinkPayload, 'v' | 'kid' | 'nonce'>,
): { token: string; nonce: string } {
  const [kid, key] = keys.keys[0];
  const nonce = randomBytes(16).toString('base64url');
  const body = b64(JSON.stringify({ v: 1, kid, nonce, ...payload }));
  return { token: `${body}.${b64(sign(key, body))}`, nonce };
}

export function verifyLinkToken(keys: LinkKeys, token: string, now = Date.now()): LinkPayload {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!m || token.length > 4096) throw new LinkError('malformed', 'this link is malformed');
  let payload: LinkPayload;
  try {
    payload = LinkPayloadSchema.parse(JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')));
  } catch {
    throw new LinkError('malformed', 'this link is malformed');
  }
  const key = keys.keys.find(([kid]) => kid === payload.kid)?.[1];
  if (!key) throw new LinkError('unknown-key', 'this link was signed with a key that is no longer accepted');
  if (!constantTimeEqual(Buffer.from(m[2], 'base64url'), sign(key, m[1])))
    throw new LinkError('bad-signature', 'this link is forged or has been altered');
  if (payload.exp * 1000 <= now)
    throw new LinkError('expired', `this link expired at ${new Date(payload.exp * 1000).toISOString()}`);
  return payload;
}

/** A form token only the page rendered for this link can carry (CSRF protection for the POST). */
export function formToken(keys: LinkKeys, payload: LinkPayload): string {
  return b64(sign(keys.keys.find(([kid]) => kid === payload.kid)![1], `form:${payload.nonce}`));
}

export function checkFormToken(keys: LinkKeys, payload: LinkPayload, given: unknown): boolean {
  return typeof given === 'string' && constantTimeEqual(given, formToken(keys, payload));
}
