import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import type { Plan } from './plan';

// Pure JS on purpose: the workflow recomputes the digest inside Temporal's sandbox,
// where node:crypto is not available.

/** RFC 8785 canonical JSON: sorted keys, no whitespace. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

/** sha256 (hex) over the canonical JSON of the plan: what approvers approve. */
export function planDigest(plan: Plan): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(plan))));
}
