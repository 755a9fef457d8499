import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { Refusal } from './gate-rules';
import { InvalidInput } from './inputs';

/** The failure's type (`RebootHung`, `CheckFailed`, …), through an activity failure. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** `Type: message` of a failure, through an activity failure, for the timeline and mails. */
export function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** Validate an update's input inside its validator: a malformed call is refused before history. */
export function parseInput<T>(parse: (raw: unknown) => T, raw: unknown): T {
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof InvalidInput)
      throw ApplicationFailure.nonRetryable(`invalid input: ${err.message}`, 'InvalidInput');
    throw err;
  }
}

/** A validator's refusal: the caller gets the sentence and its code; nothing enters history. */
export function refuse(refusal: Refusal | undefined): void {
  if (refusal)
    throw ApplicationFailure.create({
      message: refusal.message,
      type: 'Refused',
      nonRetryable: true,
      details: [refusal.code],
    });
}

/** The operators a policy refusal names (the worker's inventory's, in the failure's details);
 * none when the worker has no inventory. */
export function refusalOperators(err: unknown): string[] {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  const details =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as { operators?: unknown } | undefined) : undefined;
  const operators = details?.operators;
  return Array.isArray(operators) ? operators.filter((o): o is string => typeof o === 'string') : [];
}
