import Fastify from 'fastify';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { escapeHtml, Html, html, page } from '../runtime/html';

// A real SMTP server on 127.0.0.1 that keeps every mail, and a small inbox page to read them:
// the organisation's mail server and the approvers' mailboxes, for the local stack and tests.

export interface CaughtMail {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface MailCatcher {
  smtpPort: number;
  inboxUrl?: string;
  mails: CaughtMail[];
  /** Fail the next `n` deliveries with a 451 (temporary) error: a mail server that is down;
   * with `after`, only once that many more deliveries went through (a failure mid-batch). */
  failNext(n: number, options?: { after?: number }): void;
  waitFor(predicate: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

export async function startMailCatcher(options: { smtpPort?: number; httpPort?: number } = {}): Promise<MailCatcher> {
  const mails: CaughtMail[] = [];
  const waiters = new Set<() => void>();
  let failures = 0;
  let passBeforeFailing = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      if (failures > 0 && passBeforeFailing > 0) passBeforeFailing -= 1;
      else if (failures > 0) {
        failures -= 1;
        stream.resume();
        return stream.on('end', () =>
          callback(Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 })),
        );
      }
      simpleParser(stream)
        .then((parsed) => {
          const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) =>
            a.value.map((v) => v.address ?? ''),
          );
          mails.push({
            id: mails.length + 1,
            from: parsed.from?.text ?? '',
            to,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers: Object.fromEntries(
              [...parsed.headers].map(([k, v]) => [
                k,
                String(typeof v === 'object' && v && 'text' in v ? (v as { text: string }).text : v),
              ]),
            ),
            receivedAt: new Date().toISOString(),
          });
          waiters.forEach((w) => w());
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(options.smtpPort ?? 0, '127.0.0.1', () => resolve());
  });
  const smtpPort = (smtp.server.address() as { port: number }).port;

  let inboxUrl: string | undefined;
  const web = Fastify();
  if (options.httpPort !== undefined) {
    web.get('/', async (_req, reply) => {
      const rows = [...mails].reverse();
      reply.type('text/html; charset=utf-8').send(
        page(
          'Inbox',
          html`<h1>Inbox (local mail catcher)</h1><p class="muted">${mails.length} mails received on SMTP 127.0.0.1:${smtpPort}</p>
<table><thead><tr><th>#</th><th>To</th><th>Subject</th><th>Received</th></tr></thead><tbody>
${rows.map((m) => html`<tr><td>${m.id}</td><td>${m.to.join(', ')}</td><td><a href="/mails/${m.id}">${m.subject}</a></td><td>${m.receivedAt}</td></tr>`)}
</tbody></table>`,
          { refreshSeconds: 5, standalone: true },
        ),
      );
    });
    web.get<{ Params: { id: string } }>('/mails/:id', async (req, reply) => {
      const mail = mails.find((m) => m.id === Number(req.params.id));
      if (!mail) return reply.status(404).send('no such mail');
      const linked = escapeHtml(mail.text).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>');
      reply.type('text/html; charset=utf-8').send(
        page(
          mail.subject,
          html`<p><a href="/">← inbox</a></p><h1>${mail.subject}</h1><p class="muted">to ${mail.to.join(', ')} · from ${mail.from} · ${mail.receivedAt}</p>
<h2>HTML part</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" style="width:100%;height:420px;border:1px solid #ccc;background:#fff" srcdoc="${mail.html}"></iframe>
<h2>Text part</h2><pre style="white-space:pre-wrap">${new Html(linked)}</pre>`,
          { standalone: true },
        ),
      );
    });
    await web.listen({ host: '127.0.0.1', port: options.httpPort });
    inboxUrl = `http://127.0.0.1:${(web.server.address() as { port: number }).port}/`;
  }

  return {
    smtpPort,
    inboxUrl,
    mails,
    failNext(n, options = {}) {
      failures = n;
      passBeforeFailing = options.after ?? 0;
    },
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = mails.find(predicate);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await web.close();
    },
  };
}
