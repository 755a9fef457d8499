import type { Answer } from './luna-shell';

/** Azure Dedicated HSM ships `tenantadmin` with this factory password (public, per Azure docs). */
export const DEFAULT_INITIAL_PASSWORD = 'PASSWORD';

/** Destructive lunash commands ask for this unless `-force` is given. We answer the prompt rather
 * than pass `-force`, so an unexpected prompt shape fails loudly instead of being skipped. */
export const PROCEED: Answer = { prompt: /Type 'proceed' to continue, or 'quit' to quit now ->\s*$/, reply: 'proceed' };
