import { z } from 'zod';

/** A Key Vault secret, by vault and secret name as Azure allows them: a vault name of 3-24
 * letters, digits and hyphens, starting with a letter, ending with a letter or digit, no "--";
 * a secret name of 1-127 letters, digits and hyphens. */
const KEYVAULT_REF = /^keyvault:[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){2,23}\/[A-Za-z0-9-]{1,127}$/;

/** Where a secret lives; the value itself never enters the inventory, a plan or a history. */
export const SecretRefSchema = z
  .string()
  .refine(
    (ref) => /^(env:[A-Z_][A-Z0-9_]*|file:\/.+)$/.test(ref) || KEYVAULT_REF.test(ref),
    'expected a secret reference "env:NAME", "file:/absolute/path" or "keyvault:<vault>/<secret>" (vault: 3-24 letters, digits and single hyphens, from a letter to a letter or digit; secret: 1-127 letters, digits and hyphens)',
  );
export type SecretRef = z.infer<typeof SecretRefSchema>;
