import { createHmac } from 'node:crypto';
import type { LinkKeys } from '../ceremonies/approval-links';

// The operators' form tokens (CSRF) for the dashboard's write actions; passwords:
// runtime/passwords.ts, sessions: ./sessions.ts. No anonymous write.

function mac(keys: LinkKeys, text: string): string {
  return createHmac('sha256', keys.keys[0][1]).update(text).digest('base64url');
}

/** CSRF token for an operator's forms: bound to the operator and the ceremony. */
export function operatorFormToken(keys: LinkKeys, email: string, ceremonyId: string): string {
  return mac(keys, `operator-form:${email}:${ceremonyId}`);
}
