import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { utils, type ParsedKey } from 'ssh2';

/** OpenSSH's `SHA256:<base64, no padding>` fingerprint of a public key blob. */
export function fingerprintOf(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** ssh2 (1.17) encodes an ed25519 public key that starts with a zero byte one byte short, and
 * then cannot parse its own output (about 1 key in 400): generate until it can. */
function generateParsableKey(): string {
  for (;;) {
    const key = utils.generateKeyPairSync('ed25519').private;
    if (!(utils.parseKey(key) instanceof Error)) return key;
  }
}

/** The appliance's persistent host key (created on first start). */
export function loadOrCreateHostKey(path: string): { privateKey: string; fingerprint: string } {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, generateParsableKey(), { mode: 0o600 });
  }
  const privateKey = readFileSync(path, 'utf8');
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`bad host key ${path}: ${parsed.message}`);
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  return { privateKey, fingerprint: fingerprintOf(key.getPublicSSH()) };
}
