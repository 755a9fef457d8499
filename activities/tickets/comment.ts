import { ApplicationFailure } from '@temporalio/activity';
import type { TicketSystem } from '../../ceremonies/tickets';
import { TicketSystemError, type TicketAdapter } from './adapters';

import type { TicketCommentInput } from '../../contract/activities';
export type { TicketCommentInput };

/** The key of a re-run (`OPS-1.r2`) comments on the ticket itself (`OPS-1`). */
function ticketKey(ref: string): { system: string; key: string } {
  const [system, key] = ref.includes(':') ? ref.split(':', 2) : ['', ref];
  return { system, key: key.replace(/\.r\d+$/, '') };
}

export function marker(input: Pick<TicketCommentInput, 'ceremonyId' | 'event'>): string {
  return `[hsm-ceremonies ${input.ceremonyId} ${input.event}]`;
}

/** Post a comment once: probe the ticket's comments for the marker, post only if absent.
 * A ticket system that is down is retried by Temporal; the ceremony does not wait for it. */
export function ticketCommentActivity(adapters: Partial<Record<TicketSystem, TicketAdapter>>) {
  return async function ticketComment(input: TicketCommentInput): Promise<'posted' | 'already-posted' | 'no-adapter'> {
    const { system, key } = ticketKey(input.ticket);
    const adapter = adapters[system as TicketSystem];
    if (!adapter) return 'no-adapter';
    const tag = marker(input);
    try {
      if ((await adapter.comments(key)).some((c) => c.includes(tag))) return 'already-posted';
      await adapter.post(key, `${input.text}\n\n${tag}`);
      return 'posted';
    } catch (err) {
      // 4xx other than rate limiting will not get better by retrying
      if (
        err instanceof TicketSystemError &&
        err.status >= 400 &&
        err.status < 500 &&
        err.status !== 429 &&
        err.status !== 408
      ) {
        throw ApplicationFailure.nonRetryable(err.message, 'TicketSystemRefused');
      }
      throw err;
    }
  };
}
