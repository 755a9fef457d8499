import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from './keyring';

/** Everyone the tests let decide, with a key in every test inventory. Anyone else (mallory)
 * gets a key from the same keyring that no inventory lists. */
export const PEOPLE = [
  'alice@example.com',
  'bob@example.com',
  'carol@example.com',
  'requester@example.com',
  'dave@example.com',
  'operator@example.com',
  'hsmrequest@microsoft.example',
  'app01-owner@example.com',
];

/** One keyring per test file (process). */
export const keyring = new Keyring();
export const signerFor = (email: string) => keyring.signer(email);
export const inventoryKeys = () => keyring.inventory(PEOPLE);

const keyDir = mkdtempSync(join(tmpdir(), 'keys-'));
/** `email`'s private key in a file (mode 600), for `ceremony approve --key <file>`. */
export function keyFile(email: string): string {
  const path = join(keyDir, `${email}.pem`);
  if (!existsSync(path)) writeFileSync(path, keyring.pem(email), { mode: 0o600 });
  return path;
}
