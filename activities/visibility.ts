import { SLUG } from '../ceremonies/patterns';
import { CEREMONY_WORKFLOW } from '../contract/messages';

/** Task queue names as configuration gives them; anything else never reaches a query. */
const TASK_QUEUE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}$/;

/** Names in a visibility query, quoted: our slugs (HSMs, kinds) only, so no quote can break out. */
export function quoted(names: readonly string[]): string {
  return names
    .map((n) => {
      if (!SLUG.test(n)) throw new Error(`not a name that can be queried: ${JSON.stringify(n)}`);
      return `'${n}'`;
    })
    .join(', ');
}

/** A visibility query over the ceremonies of one task queue (the worker fleet that ran them: a
 * workflow on another queue, whoever started it, is not one of ours), with further clauses. */
export function ceremoniesQuery(taskQueue: string, ...clauses: string[]): string {
  if (!TASK_QUEUE.test(taskQueue))
    throw new Error(`not a task queue name that can be queried: ${JSON.stringify(taskQueue)}`);
  return [`WorkflowType = '${CEREMONY_WORKFLOW}'`, `TaskQueue = '${taskQueue}'`, ...clauses].join(' AND ');
}
