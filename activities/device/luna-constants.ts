import type { Answer } from './luna-shell';

/** Azure Dedicated HSM ships `tenantadmin` with this factory password (public, per Azure docs). */
export const DEFAULT_INITIAL_PASSWORD = 'PASSWORD';

/** Destructive lunash commands ask for this unless `-force` is given. We answer the prompt rather
 * than pass `-force`, so an unexpected prompt shape fails loudly instead of being skipped. */
// Both confirmation styles lunash prints: "Type 'proceed' to …, or 'quit' to quit now. >" and
// "If you are sure …, then type 'proceed', otherwise type 'quit' >".
export const PROCEED: Answer = { prompt: /type 'proceed'[\s\S]*'quit'[\s\S]*>\s*$/i, reply: 'proceed' };
