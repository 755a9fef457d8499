import { timingSafeEqual } from 'node:crypto';

/** Compare a secret-derived value in constant time (lengths may differ: then false). */
export function constantTimeEqual(a: Buffer | string, b: Buffer | string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
