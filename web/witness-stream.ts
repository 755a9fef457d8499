import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FINAL_PHASES } from '../workflows/messages';
import type { CeremonyFollowers, CeremonySnapshot } from './ceremony-followers';
import { currentOperator, type OperatorAuth } from './operator-pages';
import { witnessEvents } from './witness-events';
import { WITNESS_SCRIPT, WITNESS_SCRIPT_PATH } from './witness-script';

// `GET /ceremonies/:id/events`: the ceremony as it runs, as server-sent events, to logged-in
// operators. `witness` events carry an `id:` (the timeline's seq): a reconnecting EventSource
// sends it back as Last-Event-ID and gets only what came after. `phase` events say the phase and
// current step when they change; `end` says the ceremony has ended, and the stream closes.

const KEEPALIVE_MS = 15_000;
const RESUME_POINT = /^\d{1,9}$/;

function frame(event: string, data: unknown, id?: number): string {
  // JSON has no raw line breaks, so the data is one `data:` line
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Where the client's stream resumes: its Last-Event-ID (a reconnect), or the page's `after`. */
function resumePoint(req: FastifyRequest<{ Querystring: { after?: string } }>): number | undefined {
  const header = req.headers['last-event-id'];
  const value = typeof header === 'string' ? header : (req.query.after ?? '0');
  return RESUME_POINT.test(value) ? Number(value) : undefined;
}

function plainRefusal(reply: FastifyReply, status: number, message: string): void {
  reply.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}

export function registerWitnessStream(app: FastifyInstance, followers: CeremonyFollowers, auth: OperatorAuth): void {
  // the server's close waits for open connections: a stream is ended first (its page reconnects)
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
    followers.close();
  });

  app.get(WITNESS_SCRIPT_PATH, async (_req, reply) => {
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(WITNESS_SCRIPT);
  });

  const schema = {
    params: {
      type: 'object',
      properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } },
      required: ['id'],
    },
    querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'string' } } },
  } as const;
  app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
    '/ceremonies/:id/events',
    { schema },
    async (req, reply) => {
      if (!currentOperator(auth, req))
        return plainRefusal(reply, 401, 'only a logged-in operator can follow a ceremony live (log in at /login)');
      const after = resumePoint(req);
      if (after === undefined)
        return plainRefusal(reply, 400, 'Last-Event-ID or after must be a whole number (an event id of this stream)');
      // read once before answering: an unknown ceremony is a 404 (the app's error handler), and an
      // ended one with nothing new is a 204, which tells an EventSource not to reconnect
      const first = await followers.read(req.params.id);
      if (FINAL_PHASES.includes(first.status.phase) && witnessEvents(first.timeline, first.status, after).length === 0)
        return reply.status(204).send();

      const stream = new PassThrough();
      let sentSeq = after;
      let sentState: string | undefined;
      let lastWrite = Date.now();
      let closed = false;
      let unfollow = () => {};
      const write = (text: string) => {
        lastWrite = Date.now();
        stream.write(text);
      };
      const close = () => {
        closed = true;
        open.delete(close);
        unfollow();
        stream.end();
      };
      open.add(close);
      const next = ({ timeline, status }: CeremonySnapshot) => {
        if (closed) return;
        // a session that logged out (or expired) no longer watches; the reconnect is refused
        if (!currentOperator(auth, req)) return close();
        for (const event of witnessEvents(timeline, status, sentSeq)) {
          write(frame('witness', event, event.seq));
          sentSeq = event.seq;
        }
        const state = `${status.phase} ${status.currentStep}`;
        if (state !== sentState) {
          write(frame('phase', { phase: status.phase, currentStep: status.currentStep }));
          sentState = state;
        }
        if (FINAL_PHASES.includes(status.phase)) {
          write(frame('end', { phase: status.phase }));
          return close();
        }
        if (Date.now() - lastWrite >= KEEPALIVE_MS) write(': keep-alive\n\n');
      };
      reply.raw.on('close', close);
      reply
        .type('text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no') // a proxy in front must not hold the events back
        .send(stream);
      write('retry: 2000\n\n');
      next(first);
      if (!closed) {
        unfollow = followers.follow(req.params.id, {
          next,
          failed: (err) => req.log.warn({ err }, 'following the ceremony failed; trying again'),
        });
        if (closed) unfollow(); // it ended (or the client left) while the follow began
      }
      return reply;
    },
  );
}
