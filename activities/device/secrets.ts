import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/** Store a new secret value (e.g. a generated password) at a `file:` reference, atomically and
 * readable by the worker's user only. An `env:` reference cannot be written. */
export async function storeSecret(ref: SecretRef, value: string): Promise<void> {
  if (!ref.startsWith('file:')) throw new SecretUnavailable(`cannot store a new secret in ${ref}: use a file: reference for generated passwords`);
  const path = ref.slice(5);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${value}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** The value at a reference, or undefined when nothing is stored there yet. */
export async function trySecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    return await resolveSecret(ref, env);
  } catch (err) {
    if (err instanceof SecretUnavailable) return undefined;
    throw err;
  }
}
