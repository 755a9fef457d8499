import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { LinkKeys } from '../ceremonies/approval-links';
import type { PayloadCodec } from '@temporalio/common';
import { registerCodecEndpoint } from './codec-endpoint';
import { registerDecisionPages } from './decide';
import { registerTicketWebhooks, type WebhookOptions } from './webhooks';
import { currentOperator, currentPerson, registerOperatorPages, type OperatorAuth } from './operator-pages';
import type { OidcRelyingParty } from './oidc-relying-party';
import { operatorFormToken } from './operator-auth';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import type { DecisionSigner } from '../client/decision-signer';
import { backupsPage, ceremonyPage, dashboardPage } from './dashboard';
import { readAllBackupProofs } from '../activities/backup-proofs';
import { html, page } from '../runtime/html';
import { CEREMONY_KINDS } from '../ceremonies/plan';
import { registerSecurityHeaders } from './security-headers';
import { CeremonyFollowers, readSnapshot } from './ceremony-followers';
import { registerWitnessStream } from './witness-stream';
import { SessionStore } from './sessions';
import { STYLESHEET, STYLESHEET_PATH } from '../runtime/stylesheet';
import { PHASES } from '../workflows/messages';
import { own } from '../ceremonies/own';
import { createLogger } from '../runtime/logger';
import type { AppConfig } from '../runtime/config';
import { logConcerns, type RefusalCounter } from './request-log';

export interface WebOptions {
  ceremonies: CeremonyClient;
  /** Keys that verify approval links; without them the decision pages are not served. */
  linkKeys?: LinkKeys;
  /** The web app's attestation key: signs the decisions made through a checked link. */
  attestation?: DecisionSigner;
  /** Requests per minute and client address on the link and login endpoints. */
  linkRateLimit?: number;
  /** Operator logins (inventory `operatorLogins`); without them (and without `signIn`) the dashboard is read-only. */
  operatorLogins?: OperatorAuth['logins'];
  /** OpenID Connect sign-in and the inventory's operators: replaces the password login, and an
   * emailed link then also needs its person signed in. */
  signIn?: { relyingParty: OidcRelyingParty; operators: readonly string[] };
  /** Payload codec (encryption), served to the Temporal Web UI behind the operator login. */
  payloadCodec?: PayloadCodec;
  /** Ticket webhooks: shared secrets per system, and the inventory plans are built from. */
  webhooks?: Omit<WebhookOptions, 'ceremonies'>;
  temporalUiUrl?: string;
  /** The app's public base URL (`CEREMONY_PUBLIC_URL`); https makes the session cookie `Secure` and adds HSTS. */
  publicUrl?: string;
  /** Request logs: `true` for pino's defaults, or the level and format of LOG_LEVEL / LOG_FORMAT. */
  logger?: boolean | { level: AppConfig['LOG_LEVEL']; format: AppConfig['LOG_FORMAT'] };
  /** Counts refused links and webhooks (the /metrics endpoint's). */
  refusals?: RefusalCounter;
  /** How often the web app reads a ceremony that a live page follows (ms). */
  livePollMs?: number;
}

export function redactUrl(url: string): string {
  return url.split('?')[0].replace(/\/decide\/[^/]+/, '/decide/<token>');
}

const CeremonyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Read-only dashboard and JSON API over Temporal visibility and the ceremony queries. */
export async function buildWebServer({
  ceremonies,
  linkKeys,
  attestation,
  linkRateLimit = 30,
  operatorLogins,
  signIn,
  payloadCodec,
  webhooks,
  temporalUiUrl,
  publicUrl,
  livePollMs = 1000,
  logger = false,
  refusals,
}: WebOptions): Promise<FastifyInstance> {
  const https = publicUrl !== undefined && new URL(publicUrl).protocol === 'https:';
  // a decision link is a credential: request logs show /decide/<token>, never the token
  const serializers = {
    req: (req: { method: string; url: string }) => ({ method: req.method, url: redactUrl(req.url) }),
  };
  // signed link tokens are longer than the router's 100-character default for a path parameter
  const options = { bodyLimit: 64 * 1024, routerOptions: { maxParamLength: 4096 } };
  // typed as Fastify's base logger: Fastify takes its logger type parameter from the instance, and `app` has the base one
  const loggerInstance: FastifyBaseLogger | undefined =
    typeof logger === 'object' ? createLogger('web', logger.level, logger.format, { serializers }) : undefined;
  const app: FastifyInstance = loggerInstance
    ? Fastify({ ...options, loggerInstance })
    : Fastify({ ...options, logger: logger ? { serializers } : false });
  await registerSecurityHeaders(app, { https });
  // sessions live in this process only (./sessions.ts), and so does the key that signs their cookies
  await app.register(cookie, { secret: randomBytes(32) });
  await app.register(formbody);
  await app.register(rateLimit, { global: false });
  // before any route: a route takes the error handler in place when it is added
  app.setErrorHandler((err, req, reply) => {
    const wantsJson = req.url.startsWith('/api/');
    const status =
      err instanceof CeremonyRefusal
        ? err.code === 'not-found'
          ? 404
          : 409
        : ((err as { statusCode?: number }).statusCode ?? 500);
    const message = status >= 500 ? 'internal error; see the web server log' : (err as Error).message;
    if (status >= 500) {
      req.log.error(err);
      if (!logger) console.error(`web: ${req.method} ${redactUrl(req.url)}: ${(err as Error).stack ?? String(err)}`);
    }
    if (wantsJson) reply.status(status).send({ error: message });
    else
      reply
        .status(status)
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Error',
            html`<h1>${status === 404 ? 'Not found' : 'Error'}</h1><p>${message}</p><p><a href="/">All ceremonies</a></p>`,
          ),
        );
  });
  // a request about one ceremony (its page, API, an operator's action) logs its id on every line
  app.addHook('preHandler', async (req, reply) => {
    const id = own(req.params as Record<string, unknown> | undefined, 'id');
    if (typeof id === 'string') logConcerns(req, reply, { ceremonyId: id });
  });
  const sessions = new SessionStore();
  const operators = new Set(signIn?.operators.map((o) => o.toLowerCase()));
  // who logs in: the OpenID Connect provider's people who are operators, else the password logins
  const login: Pick<OperatorAuth, 'isOperator' | 'signIn' | 'logins'> | undefined = signIn
    ? { isOperator: (email) => operators.has(email), signIn: signIn.relyingParty }
    : operatorLogins
      ? { isOperator: (email) => own(operatorLogins, email) !== undefined, logins: operatorLogins }
      : undefined;
  const auth: OperatorAuth | undefined =
    linkKeys && login ? { ...login, keys: linkKeys, sessions, secureCookie: https, publicUrl, attestation } : undefined;
  if (linkKeys && attestation)
    registerDecisionPages(
      app,
      ceremonies,
      linkKeys,
      attestation,
      linkRateLimit,
      refusals,
      signIn && auth ? (req) => currentPerson(auth, req) : undefined,
    );
  if (auth) registerOperatorPages(app, ceremonies, auth, linkRateLimit);
  if (auth) {
    registerWitnessStream(app, new CeremonyFollowers(ceremonies, livePollMs), auth);
  }
  if (auth && payloadCodec)
    registerCodecEndpoint(app, payloadCodec, auth, temporalUiUrl ? new URL(temporalUiUrl).origin : undefined);
  if (webhooks) await registerTicketWebhooks(app, { ceremonies, ...webhooks, refusals });

  const idParam = {
    params: {
      type: 'object',
      properties: { id: { type: 'string', pattern: CeremonyIdPattern.source } },
      required: ['id'],
    },
  } as const;

  app.get('/healthz', async () => ({ ok: true }));

  // pages link it with a hash of its content in the query, so it can be cached for good
  app.get(STYLESHEET_PATH, async (_req, reply) => {
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(STYLESHEET);
  });

  // empty = no filter (the dashboard's form sends its empty fields)
  const filters = {
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ['', ...CEREMONY_KINDS] },
        hsm: { type: 'string', pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})?$' },
        phase: { type: 'string', enum: ['', ...PHASES] },
      },
    },
  } as const;
  app.get<{ Querystring: { kind?: string; hsm?: string; phase?: string } }>(
    '/',
    { schema: filters },
    async (req, reply) => {
      const rows = await ceremonies.list({ ...req.query, limit: 200 });
      const account = auth ? { operator: currentOperator(auth, req) } : undefined;
      reply.type('text/html; charset=utf-8').send(dashboardPage(rows, req.query, temporalUiUrl, account));
    },
  );

  const hsmFilter = {
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { hsm: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' } },
    },
  } as const;
  app.get<{ Querystring: { hsm?: string } }>('/backups', { schema: hsmFilter }, async (req, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .send(backupsPage(await readAllBackupProofs(ceremonies.client, ceremonies.taskQueue, req.query.hsm)));
  });
  app.get<{ Querystring: { hsm?: string } }>('/api/backups', { schema: hsmFilter }, async (req) =>
    readAllBackupProofs(ceremonies.client, ceremonies.taskQueue, req.query.hsm),
  );

  app.get<{ Params: { id: string } }>('/ceremonies/:id', { schema: idParam }, async (req, reply) => {
    const [{ status, timeline }, { plan }] = await Promise.all([
      readSnapshot(ceremonies, req.params.id),
      ceremonies.plan(req.params.id),
    ]);
    const operator = currentOperator(auth, req);
    const actions =
      operator && auth ? { operator, form: operatorFormToken(auth.keys, operator, req.params.id) } : undefined;
    reply
      .type('text/html; charset=utf-8')
      .send(ceremonyPage(status, timeline, plan, actions, { logins: auth !== undefined }));
  });

  app.get<{ Querystring: { kind?: string; hsm?: string; phase?: string } }>(
    '/api/ceremonies',
    { schema: filters },
    async (req) => ceremonies.list({ ...req.query, limit: 200 }),
  );
  app.get<{ Params: { id: string } }>('/api/ceremonies/:id', { schema: idParam }, async (req) => ({
    status: await ceremonies.status(req.params.id),
    timeline: await ceremonies.timeline(req.params.id),
  }));

  return app;
}
