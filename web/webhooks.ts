import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../ceremonies/constant-time';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Inventory } from '../ceremonies/inventory';
import { TICKET_SYSTEMS, ticketRequest, type TicketSystem } from '../ceremonies/tickets';
import { ValidationError } from '../ceremonies/validation';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import type { AppConfig } from '../runtime/config';

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
}

type SecretVariable = `TICKET_WEBHOOK_SECRET_${Uppercase<TicketSystem>}`;

/** The systems with a configured secret (`TICKET_WEBHOOK_SECRET_<SYSTEM>`). */
export function webhookSecrets(c: Pick<AppConfig, SecretVariable>): Partial<Record<TicketSystem, string>> {
  return Object.fromEntries(TICKET_SYSTEMS.flatMap((s) => {
    const secret = c[`TICKET_WEBHOOK_SECRET_${s.toUpperCase() as Uppercase<TicketSystem>}`];
    return secret ? [[s, secret]] : [];
  }));
}

export async function registerTicketWebhooks(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (req, body, done) => {
      (req as FastifyRequest & { rawBody?: string }).rawBody = body as string;
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
      }
    });
    scope.setErrorHandler((err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      const message = (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the body is larger than ${WEBHOOK_BODY_LIMIT} bytes` : status >= 500 ? 'internal error' : (err as Error).message;
      reply.status(status).send({ error: message });
    });

    scope.post<{ Params: { system: string } }>(
      '/webhooks/tickets/:system',
      { schema: { params: { type: 'object', properties: { system: { type: 'string', enum: [...TICKET_SYSTEMS] } }, required: ['system'] } } },
      async (req, reply) => {
        const system = req.params.system as TicketSystem;
        const secret = options.secrets[system];
        if (!secret) return reply.status(503).send({ error: `the ${system} webhook is not configured (TICKET_WEBHOOK_SECRET_${system.toUpperCase()})` });
        const raw = (req as FastifyRequest & { rawBody?: string }).rawBody;
        if (raw === undefined) return reply.status(415).send({ error: 'expected Content-Type: application/json' });
        if (!signatureValid(secret, raw, req.headers[SIGNATURE_HEADER[system]] as string | undefined)) {
          return reply.status(401).send({ error: `missing or wrong ${SIGNATURE_HEADER[system]} signature` });
        }
        const { mapping, problems } = ticketRequest(system, req.body);
        if (!mapping) return reply.status(400).send({ error: 'the ticket does not describe a ceremony', problems });
        try {
          const started = await options.ceremonies.start(mapping.request, options.inventory());
          return reply.status(started.existing ? 200 : 201).send({ ceremonyId: started.ceremonyId, planDigest: started.planDigest, existing: started.existing, ticket: mapping.request.ticket });
        } catch (err) {
          if (err instanceof ValidationError) return reply.status(422).send({ error: 'the ticket names an impossible ceremony', problems: err.problems });
          if (err instanceof CeremonyRefusal) {
            return reply.status(409).send({ error: `${err.message}; re-open the ticket as a new run (run: 2, u_ceremony_run, or label ceremony-run:2) to start another` });
          }
          throw err;
        }
      },
    );
  });
}
