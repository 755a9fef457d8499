import { ApplicationFailure } from '@temporalio/activity';

/** Failure types the workflow sees. Non-retryable ones need a person (intervention). */
export const FailureType = {
  invalidArguments: 'InvalidArguments',
  checkFailed: 'CheckFailed',
  verificationFailed: 'VerificationFailed',
} as const;

export function nonRetryable(type: string, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    details: details === undefined ? undefined : [details],
  });
}
