/** Keys with ids, so they rotate: the first entry is the current key (it signs or encrypts),
 * every entry still verifies or decrypts. */
export type KeyRing = [string, Buffer][];

export interface KeyRingRules {
  /** Thrown for an entry that is not `kid:base64key`. */
  malformed: string;
  /** Thrown when there is no entry at all. */
  empty: string;
  /** The key length rule: the problem with this key, if any. */
  lengthProblem(kid: string, key: Buffer): string | undefined;
}

/** `kid:base64key` entries separated by commas or line breaks (a key file has one a line). */
export function parseKeyRing(text: string, rules: KeyRingRules): KeyRing {
  const ring = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): [string, Buffer] => {
      const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
      if (!m) throw new Error(rules.malformed);
      const key = Buffer.from(m[2], 'base64');
      const problem = rules.lengthProblem(m[1], key);
      if (problem) throw new Error(problem);
      return [m[1], key];
    });
  if (ring.length === 0) throw new Error(rules.empty);
  return ring;
}
