import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretRef } from '../../ceremonies/inventory';
import { readKeyVaultSecret, writeKeyVaultSecret, type KeyVaultSettings } from '../azure/key-vault';
import { SecretNotStored, SecretUnavailable } from './secret-errors';

export { SecretNotStored, SecretUnavailable };

/** Where references are resolved: the environment of `env:` ones (the worker's by default) and
 * how to reach the vaults of `keyvault:` ones. */
export interface SecretSources {
  env?: NodeJS.ProcessEnv;
  keyVault?: KeyVaultSettings;
}

/** Resolve `env:NAME`, `file:/path` or `keyvault:<vault>/<secret>` at the moment of use; the
 * value stays in this process. */
export async function resolveSecret(ref: SecretRef, sources: SecretSources = {}): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = (sources.env ?? process.env)[ref.slice(4)];
    if (value === undefined || value === '')
      throw new SecretNotStored(`secret ${ref} is not set in the worker's environment`);
    return value;
  }
  if (ref.startsWith('file:')) {
    try {
      return (await readFile(ref.slice(5), 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new (code === 'ENOENT' ? SecretNotStored : SecretUnavailable)(
        `secret ${ref} cannot be read (${code ?? 'error'})`,
      );
    }
  }
  if (ref.startsWith('keyvault:')) return readKeyVaultSecret(ref, sources.keyVault ?? {});
  throw new SecretUnavailable(`unsupported secret reference ${ref}`);
}

/** Replace every secret value in `text` (outputs that go into evidence pass through here). */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('********');
  return out;
}

/** Store a new secret value (e.g. a generated password): at a `file:` reference atomically and
 * readable by the worker's user only, at a `keyvault:` one as the secret's new version. An
 * `env:` reference cannot be written. */
export async function storeSecret(ref: SecretRef, value: string, sources: SecretSources = {}): Promise<void> {
  if (ref.startsWith('keyvault:')) return writeKeyVaultSecret(ref, value, sources.keyVault ?? {});
  if (!ref.startsWith('file:'))
    throw new SecretUnavailable(
      `cannot store a new secret in ${ref}: use a file: or keyvault: reference for generated passwords`,
    );
  const path = ref.slice(5);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${value}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** The value at a reference, or undefined when nothing is stored there yet. A reference that
 * cannot be read (a vault that refuses the worker) is an error, not "nothing stored". */
export async function trySecret(ref: SecretRef, sources: SecretSources = {}): Promise<string | undefined> {
  try {
    return await resolveSecret(ref, sources);
  } catch (err) {
    if (err instanceof SecretNotStored) return undefined;
    throw err;
  }
}
