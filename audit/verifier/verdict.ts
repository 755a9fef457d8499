import type { Violation } from './invariants';

// What a verification says of one history: the verifier's checks and the tooling's replay fill it.

/** One thing the verdict checked, and whether it held, failed, or could not be proven from what
 * was given (e.g. integrity without a manifest); `ok` means nothing required failed. */
export interface VerifyCheck {
  check: string;
  status: 'held' | 'failed' | 'not-proven';
  detail?: string;
}

export interface VerifyResult {
  file: string;
  ceremonyId?: string;
  /** From the history's plan and close event, when it can be read: what the ceremony was. */
  kind?: string;
  hsm?: string;
  /** The final phase (completed, rejected, …), how the workflow otherwise closed, or `running`. */
  outcome?: string;
  ok: boolean;
  /** Every check, in a fixed order: the history's form, the manifest, the replay, each invariant. */
  checks: VerifyCheck[];
  /** What fails the verdict. */
  problems: string[];
  violations: Violation[];
  /** What the verdict cannot prove, without failing it (e.g. an unsigned manifest). */
  notes: string[];
  /** whether the replay with the current code ran (and then its failure is among the problems) */
  replayed: boolean;
}

/** The checks' names, as a verdict shows them. */
export const CHECKS = {
  wellFormed: 'history well formed',
  integrity: 'integrity (manifest hash)',
  manifest: 'manifest matches the history',
  signature: 'manifest signature',
  replay: 'replay with the current code',
  keys: 'decision keys (trust anchor)',
} as const;
