import Fastify, { type FastifyInstance } from 'fastify';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import { ceremonyPage, dashboardPage } from './dashboard';
import { html, page } from './html';

export interface WebOptions {
  ceremonies: CeremonyClient;
  temporalUiUrl?: string;
  logger?: boolean;
}

const CeremonyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Read-only dashboard and JSON API over Temporal visibility and the ceremony queries. */
export function buildWebServer({ ceremonies, temporalUiUrl, logger = false }: WebOptions): FastifyInstance {
  const app = Fastify({ logger, bodyLimit: 64 * 1024 });

  const idParam = {
    params: { type: 'object', properties: { id: { type: 'string', pattern: CeremonyIdPattern.source } }, required: ['id'] },
  } as const;

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/', async (_req, reply) => {
    reply.type('text/html; charset=utf-8').send(dashboardPage(await ceremonies.list({ limit: 200 }), temporalUiUrl));
  });

  app.get<{ Params: { id: string } }>('/ceremonies/:id', { schema: idParam }, async (req, reply) => {
    const [status, timeline, { plan }] = await Promise.all([
      ceremonies.status(req.params.id),
      ceremonies.timeline(req.params.id),
      ceremonies.plan(req.params.id),
    ]);
    reply.type('text/html; charset=utf-8').send(ceremonyPage(status, timeline, plan));
  });

  app.get('/api/ceremonies', async () => ceremonies.list({ limit: 200 }));
  app.get<{ Params: { id: string } }>('/api/ceremonies/:id', { schema: idParam }, async (req) => ({
    status: await ceremonies.status(req.params.id),
    timeline: await ceremonies.timeline(req.params.id),
  }));

  app.setErrorHandler((err, req, reply) => {
    const wantsJson = req.url.startsWith('/api/');
    const status = err instanceof CeremonyRefusal ? 404 : (err as { statusCode?: number }).statusCode ?? 500;
    const message = status >= 500 ? 'internal error; see the web server log' : (err as Error).message;
    if (status >= 500) req.log.error(err);
    if (wantsJson) reply.status(status).send({ error: message });
    else reply.status(status).type('text/html; charset=utf-8').send(page('Error', html`<h1>${status === 404 ? 'Not found' : 'Error'}</h1><p>${message}</p><p><a href="/">All ceremonies</a></p>`));
  });

  return app;
}
