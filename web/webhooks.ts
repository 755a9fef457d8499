import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../ceremonies/constant-time';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Inventory } from '../ceremonies/inventory';
import { TICKET_SYSTEMS, ticketRequest, type TicketSystem } from '../ceremonies/tickets';
import { ValidationError } from '../ceremonies/validation';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import type { AppConfig } from '../runtime/config';
import { ceremonyIdForTicket } from '../ceremonies/identifiers';
import { own } from '../ceremonies/own';
import { logConcerns, type RefusalCounter } from './request-log';
import { inSpan } from '../runtime/spans';

/** Why a webhook delivery started nothing (the label of ceremony_webhook_refusals_total). */
type WebhookRefusal =
  | 'not-configured'
  | 'not-json'
  | 'bad-signature'
  | 'malformed'
  | 'too-large'
  | 'invalid-request'
  | 'not-a-ceremony'
  | 'impossible-ceremony'
  | 'ticket-ended';

// POST /webhooks/tickets/{jira,servicenow,generic}: a change ticket starts its ceremony. Every
// delivery is authenticated (HMAC-SHA256 of the raw body with the system's shared secret),
// validated, and idempotent: the ticket names the workflow, so a redelivery finds the ceremony
// the first one started.

/** The header each system sends its signature in (`sha256=<hex>`). */
export const SIGNATURE_HEADER: Record<TicketSystem, string> = {
  jira: 'x-hub-signature',
  servicenow: 'x-servicenow-signature',
  generic: 'x-signature-256',
};

export const WEBHOOK_BODY_LIMIT = 256 * 1024;

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function signatureValid(secret: string, body: string, given: string | undefined): boolean {
  return given !== undefined && constantTimeEqual(given, signBody(secret, body));
}

export interface WebhookOptions {
  ceremonies: CeremonyClient;
  inventory: () => Inventory;
  secrets: Partial<Record<TicketSystem, string>>;
  refusals?: RefusalCounter;
}

type SecretVariable = `TICKET_WEBHOOK_SECRET_${Uppercase<TicketSystem>}`;

/** The systems with a configured secret (`TICKET_WEBHOOK_SECRET_<SYSTEM>`). */
export function webhookSecrets(c: Pick<AppConfig, SecretVariable>): Partial<Record<TicketSystem, string>> {
  return Object.fromEntries(
    TICKET_SYSTEMS.flatMap((s) => {
      const secret = c[`TICKET_WEBHOOK_SECRET_${s.toUpperCase() as Uppercase<TicketSystem>}`];
      return secret ? [[s, secret]] : [];
    }),
  );
}

export async function registerTicketWebhooks(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT },
      (req, body, done) => {
        (req as FastifyRequest & { rawBody?: string }).rawBody = body as string;
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
        }
      },
    );
    const refused = (system: string, reason: WebhookRefusal) => options.refusals?.webhookRefused(system, reason);
    scope.setErrorHandler((err, req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      const tooLarge = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      const message = tooLarge
        ? `the body is larger than ${WEBHOOK_BODY_LIMIT} bytes`
        : status >= 500
          ? 'internal error'
          : (err as Error).message;
      // the label is one of the known systems, never the path's text (a label per made-up name would grow without bound)
      const named = own(req.params as Record<string, unknown>, 'system');
      const system = TICKET_SYSTEMS.find((s) => s === named) ?? 'unknown';
      if (status < 500) refused(system, tooLarge ? 'too-large' : status === 400 ? 'malformed' : 'invalid-request');
      reply.status(status).send({ error: message });
    });

    scope.post<{ Params: { system: string } }>(
      '/webhooks/tickets/:system',
      {
        schema: {
          params: {
            type: 'object',
            properties: { system: { type: 'string', enum: [...TICKET_SYSTEMS] } },
            required: ['system'],
          },
        },
      },
      async (req, reply) => {
        const system = req.params.system as TicketSystem;
        const secret = options.secrets[system];
        if (!secret) {
          refused(system, 'not-configured');
          return reply
            .status(503)
            .send({ error: `the ${system} webhook is not configured (TICKET_WEBHOOK_SECRET_${system.toUpperCase()})` });
        }
        const raw = (req as FastifyRequest & { rawBody?: string }).rawBody;
        if (raw === undefined) {
          refused(system, 'not-json');
          return reply.status(415).send({ error: 'expected Content-Type: application/json' });
        }
        if (!signatureValid(secret, raw, req.headers[SIGNATURE_HEADER[system]] as string | undefined)) {
          refused(system, 'bad-signature');
          return reply.status(401).send({ error: `missing or wrong ${SIGNATURE_HEADER[system]} signature` });
        }
        const { mapping, problems } = ticketRequest(system, req.body);
        if (!mapping) {
          refused(system, 'not-a-ceremony');
          return reply.status(400).send({ error: 'the ticket does not describe a ceremony', problems });
        }
        logConcerns(req, reply, { ceremonyId: ceremonyIdForTicket(mapping.request.ticket) });
        try {
          // a trace of its own per delivery, whatever the sender's headers say: the ceremony's
          const started = await inSpan(
            'ticket webhook',
            { 'ticket.system': system },
            async () => {
              const started = await options.ceremonies.start(mapping.request, options.inventory());
              // in the span: the line carries the ceremony's trace id
              req.log.info(
                { system, ticket: mapping.request.ticket, existing: started.existing },
                started.existing ? 'webhook: ceremony already running' : 'webhook: ceremony started',
              );
              return started;
            },
            { root: true },
          );
          return reply.status(started.existing ? 200 : 201).send({
            ceremonyId: started.ceremonyId,
            planDigest: started.planDigest,
            existing: started.existing,
            ticket: mapping.request.ticket,
          });
        } catch (err) {
          if (err instanceof ValidationError) {
            refused(system, 'impossible-ceremony');
            return reply.status(422).send({ error: 'the ticket names an impossible ceremony', problems: err.problems });
          }
          if (err instanceof CeremonyRefusal) {
            refused(system, 'ticket-ended');
            return reply.status(409).send({
              error: `${err.message}; re-open the ticket as a new run (run: 2, u_ceremony_run, or label ceremony-run:2) to start another`,
            });
          }
          throw err;
        }
      },
    );
  });
}
