import { Context } from '@temporalio/activity';
import { nonRetryable } from './errors';

/** A ceremony id runs once: the worker refuses a run whose workflow id Temporal has seen run
 * before (whoever started it, with whatever id-reuse policy), before any step. Asks the worker's
 * own Temporal client for the other runs of this workflow id. */
export async function refuseReusedCeremonyId(): Promise<void> {
  const context = Context.current();
  const execution = context.info.workflowExecution;
  if (!execution) throw nonRetryable('PolicyViolation', 'the policy check runs only for a ceremony workflow');
  const { workflowId, runId } = execution;
  let client;
  try {
    client = context.client;
  } catch {
    throw nonRetryable(
      'PolicyViolation',
      `the worker has no Temporal client to check that ceremony id ${workflowId} never ran before; it refuses the run`,
    );
  }
  // workflow ids are the ticket's slug: nothing outside this set can break out of the quotes
  if (!/^[A-Za-z0-9._:@-]{1,255}$/.test(workflowId))
    throw nonRetryable(
      'PolicyViolation',
      `ceremony id ${JSON.stringify(workflowId)} is not one the client derives from a ticket`,
    );
  for await (const other of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    if (other.runId !== runId) {
      throw nonRetryable(
        'PolicyViolation',
        `ceremony id ${workflowId} has run before (run ${other.runId}, ${other.status.name.toLowerCase()}): a ceremony id never starts again, whoever starts it; open a new ticket`,
      );
    }
  }
}
