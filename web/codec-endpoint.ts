import type { FastifyInstance } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { currentOperator, type OperatorAuth } from './operator-pages';

// The Temporal Web UI's codec server protocol (POST /codec/decode, /codec/encode with
// `{ payloads: [{ metadata: {k: base64}, data: base64 }] }`), so operators can read encrypted
// histories in the UI. Behind the operator login: the UI sends the session cookie when
// "include cross-origin credentials" is on.

type JsonPayload = { metadata?: Record<string, string>; data?: string };

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function registerCodecEndpoint(
  app: FastifyInstance,
  codec: PayloadCodec,
  auth: OperatorAuth,
  uiOrigin?: string,
): void {
  const cors = (reply: { header(k: string, v: string): unknown }) => {
    if (!uiOrigin) return;
    reply.header('access-control-allow-origin', uiOrigin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-allow-headers', 'content-type,x-namespace');
    reply.header('access-control-allow-methods', 'POST,OPTIONS');
  };
  const schema = {
    body: {
      type: 'object',
      required: ['payloads'],
      properties: {
        payloads: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            properties: {
              metadata: { type: 'object', additionalProperties: { type: 'string' } },
              data: { type: 'string' },
            },
          },
        },
      },
    },
  } as const;
  for (const op of ['decode', 'encode'] as const) {
    app.options(`/codec/${op}`, async (_req, reply) => {
      cors(reply);
      reply.status(204).send();
    });
    app.post<{ Body: { payloads: JsonPayload[] } }>(`/codec/${op}`, { schema }, async (req, reply) => {
      cors(reply);
      if (!currentOperator(auth, req)) return reply.status(401).send({ error: 'operator login needed' });
      try {
        const out = await codec[op](req.body.payloads.map(fromJson));
        return { payloads: out.map(toJson) };
      } catch (err) {
        return reply.status(400).send({ error: (err as Error).message });
      }
    });
  }
}
