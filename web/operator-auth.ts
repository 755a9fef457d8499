import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { constantTimeEqual } from '../ceremonies/constant-time';
import type { LinkKeys } from '../ceremonies/approval-links';

// Operator logins for the dashboard's write actions: scrypt password hashes from the inventory,
// and a signed, expiring session cookie. No anonymous write.

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64')}:${scryptSync(password, salt, 32).toString('base64')}`;
}

export function checkPassword(hash: string | undefined, password: string): boolean {
  // compare against a throwaway hash when the user is unknown, so timing does not tell
  const [, salt, expected] = (hash ?? `scrypt:${randomBytes(16).toString('base64')}:${randomBytes(32).toString('base64')}`).split(':');
  const matches = constantTimeEqual(scryptSync(password, Buffer.from(salt, 'base64'), 32), Buffer.from(expected, 'base64'));
  return hash !== undefined && matches;
}

const SESSION_HOURS = 8;

function mac(keys: LinkKeys, text: string): string {
  return createHmac('sha256', keys.keys[0][1]).update(text).digest('base64url');
}

export function sessionCookie(keys: LinkKeys, email: string, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ email, exp: now + SESSION_HOURS * 3_600_000 })).toString('base64url');
  return `${body}.${mac(keys, `session:${body}`)}`;
}

export function sessionEmail(keys: LinkKeys, cookie: string | undefined, now = Date.now()): string | undefined {
  if (!cookie) return undefined;
  const [body, sig] = cookie.split('.');
  if (!body || !sig) return undefined;
  if (!constantTimeEqual(sig, mac(keys, `session:${body}`))) return undefined;
  try {
    const { email, exp } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { email: string; exp: number };
    return exp > now ? email : undefined;
  } catch {
    return undefined;
  }
}

/** CSRF token for an operator's forms: bound to the operator and the ceremony. */
export function operatorFormToken(keys: LinkKeys, email: string, ceremonyId: string): string {
  return mac(keys, `operator-form:${email}:${ceremonyId}`);
}
