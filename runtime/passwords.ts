import { randomBytes, scryptSync } from 'node:crypto';
import { constantTimeEqual } from '../ceremonies/constant-time';

// Operator passwords as the inventory keeps them (`operatorLogins`): scrypt hashes, made by
// `ceremony hash-password`, checked by the web app's login.

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64')}:${scryptSync(password, salt, 32).toString('base64')}`;
}

export function checkPassword(hash: string | undefined, password: string): boolean {
  // compare against a throwaway hash when the user is unknown, so timing does not tell
  const [, salt, expected] = (
    hash ?? `scrypt:${randomBytes(16).toString('base64')}:${randomBytes(32).toString('base64')}`
  ).split(':');
  const matches = constantTimeEqual(
    scryptSync(password, Buffer.from(salt, 'base64'), 32),
    Buffer.from(expected, 'base64'),
  );
  return hash !== undefined && matches;
}
