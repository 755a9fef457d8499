import { ledgerRecord, ledgerRequire } from './ledger';
import type { OperationDefinition } from './operation';

/** Every operation a plan may name. Activity type in history = operation name. */
export const OPERATIONS: OperationDefinition[] = [ledgerRecord, ledgerRequire];
