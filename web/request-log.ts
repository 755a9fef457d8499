import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CeremonyLogFields } from '../runtime/logger';

/** From here on, this request's log lines (its "request completed" line too) name the ceremony. */
export function logConcerns(req: FastifyRequest, reply: FastifyReply, fields: CeremonyLogFields): void {
  const log = req.log.child(fields);
  req.log = log;
  reply.log = log;
}

/** What the web app counts of its own request handling (the ceremony metrics: ./ceremony-metrics.ts). */
export interface RefusalCounter {
  linkRefused(reason: string): void;
  webhookRefused(system: string, reason: string): void;
}
