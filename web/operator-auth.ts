import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { constantTimeEqual } from '../ceremonies/constant-time';
import type { LinkKeys } from '../ceremonies/approval-links';

// Operator logins for the dashboard's write actions: scrypt password hashes from the inventory
// (sessions: ./sessions.ts), and the operators' form tokens. No anonymous write.

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

function mac(keys: LinkKeys, text: string): string {
  return createHmac('sha256', keys.keys[0][1]).update(text).digest('base64url');
}

/** CSRF token for an operator's forms: bound to the operator and the ceremony. */
export function operatorFormToken(keys: LinkKeys, email: string, ceremonyId: string): string {
  return mac(keys, `operator-form:${email}:${ceremonyId}`);
}
