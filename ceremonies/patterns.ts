// The shapes of names and values, as regular expressions, for both the zod schemas at the edges
// (identifiers.ts) and the workflow's own small validators (which carry no zod: workflows/inputs.ts).

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SLUG_MESSAGE =
  'expected lower-case letters, digits and dashes (at most 63), starting with a letter or digit';

/** An email address as we accept it (a practical subset of RFC 5321; lower-cased when read). */
export const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const EMAIL_MESSAGE = 'expected an email address';

export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
