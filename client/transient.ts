import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** gRPC codes of a call the server could not answer in time, or dropped, that the SDK's own retry
 * does not repeat (it repeats UNAVAILABLE, RESOURCE_EXHAUSTED and the like itself): a busy worker
 * did not take a query or an update's workflow task before the call's deadline. */
const TRANSIENT = new Set<number>([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  14, // UNAVAILABLE
]);

/** An error that says nothing about the ceremony, only that the call did not get through in time. */
export function isTransient(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const cause = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(cause) && TRANSIENT.has(cause.code);
}

/** How long a call keeps being repeated after transient errors, as a person would press again. */
export const RETRY_BUDGET_MS = 60_000;
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 5_000;

/** `call` again after a transient error (with a growing, jittered pause) until it answers, fails
 * otherwise, or `budgetMs` has passed. Only for calls that are safe to repeat: reads, and updates
 * sent again with the same update id (the server answers a repeat with the first one's outcome). */
export async function retryTransient<T>(call: () => Promise<T>, budgetMs = RETRY_BUDGET_MS): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(MAX_PAUSE_MS, pause * 2)) {
    try {
      return await call();
    } catch (err) {
      const wait = pause / 2 + Math.random() * (pause / 2);
      if (!isTransient(err) || Date.now() + wait > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
