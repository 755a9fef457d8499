import { readFile } from 'node:fs/promises';
import type { SecretRef } from '../../ceremonies/inventory';

export class SecretUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailable';
  }
}

/** Resolve `env:NAME` or `file:/path` at the moment of use; the value stays in this process. */
export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (value === undefined || value === '') throw new SecretUnavailable(`secret ${ref} is not set in the worker's environment`);
    return value;
  }
  if (ref.startsWith('file:')) {
    try {
      return (await readFile(ref.slice(5), 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new SecretUnavailable(`secret ${ref} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  throw new SecretUnavailable(`unsupported secret reference ${ref}`);
}

/** Replace every secret value in `text` (outputs that go into evidence pass through here). */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('********');
  return out;
}
