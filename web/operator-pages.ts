import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LinkKeys } from '../ceremonies/approval-links';
import { freeTextProblem } from '../ceremonies/free-text';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import type { DecisionSigner } from '../client/decision-signer';
import { html, page } from '../runtime/html';
import { own } from '../ceremonies/own';
import { constantTimeEqual } from '../ceremonies/constant-time';
import { checkPassword } from '../runtime/passwords';
import { operatorFormToken } from './operator-auth';
import { SESSION_HOURS, type SessionPerson, type SessionStore } from './sessions';
import type { OidcRelyingParty } from './oidc-relying-party';
import { registerSignInPages, signInUrl } from './sign-in-pages';

export const SESSION_COOKIE = 'operator';

export interface OperatorAuth {
  keys: LinkKeys;
  /** email -> scrypt hash, from the inventory's operatorLogins: the password login, when there
   * is no OpenID Connect sign-in */
  logins?: Record<string, { passwordHash: string }>;
  /** Is this person (a session's email) one of the inventory's operators? */
  isOperator(email: string): boolean;
  /** The OpenID Connect sign-in, when configured (the password login is then off). */
  signIn?: OidcRelyingParty;
  sessions: SessionStore;
  /** The session cookie is `Secure` (the public URL is https). */
  secureCookie: boolean;
  /** The app's public base URL, where the provider sends a browser back after signing out. */
  publicUrl?: string;
  /** The web app's attestation key: signs a resolve or cancel only for a logged-in operator
   * whose form token checked out. Without it, the pages cannot resolve or cancel. */
  attestation?: DecisionSigner;
}

/** The session id in the request's cookie, if its signature holds (@fastify/cookie's `signed`). */
function sessionId(req: FastifyRequest): string | undefined {
  const raw = req.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = req.unsignCookie(raw);
  return unsigned.valid && unsigned.value !== null ? unsigned.value : undefined;
}

export function currentOperator(auth: OperatorAuth | undefined, req: FastifyRequest): string | undefined {
  if (!auth) return undefined;
  const email = auth.sessions.email(sessionId(req));
  return email && auth.isOperator(email) ? email : undefined;
}

/** Whoever this request's session is (operator or not), if it is live. */
export function currentPerson(auth: OperatorAuth | undefined, req: FastifyRequest): SessionPerson | undefined {
  return auth?.sessions.person(sessionId(req));
}

function refuse(reply: FastifyReply, status: number, title: string, message: string): void {
  reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(
      page(
        title,
        html`<h1>${title}</h1><div class="card refusal"><b>${message}</b></div><p class="muted">Nothing was changed.</p><p><a href="/login">Operator login</a> · <a href="/">All ceremonies</a></p>`,
      ),
    );
}

/** Login, logout, and the operators' write actions (resolve, cancel), each a POST with a session
 * and a form token bound to the operator and the ceremony. */
export function registerOperatorPages(
  app: FastifyInstance,
  ceremonies: CeremonyClient,
  auth: OperatorAuth,
  perMinute: number,
): void {
  const rateLimit = { max: perMinute, timeWindow: '1 minute' };
  if (auth.signIn) registerOidcLogin(app, auth, auth.signIn, perMinute);
  else registerPasswordLogin(app, auth, perMinute);

  const idParam = {
    params: {
      type: 'object',
      properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } },
      required: ['id'],
    },
  } as const;
  const action = (name: 'resolve' | 'cancel') =>
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(
      `/ceremonies/:id/${name}`,
      { schema: idParam, config: { rateLimit } },
      async (req, reply) => {
        const operator = currentOperator(auth, req);
        if (!operator) return refuse(reply, 401, 'Login needed', 'only a logged-in operator can do this');
        if (!constantTimeEqual(String(req.body?.form ?? ''), operatorFormToken(auth.keys, operator, req.params.id)))
          return refuse(reply, 403, 'Refused', "this form did not come from this ceremony's page (CSRF protection)");
        const reason = String(req.body?.reason ?? '');
        const problem = freeTextProblem(reason, { multiline: false });
        if (problem) return refuse(reply, 400, 'Refused', `the reason ${problem}`);
        if (!auth.attestation)
          return refuse(
            reply,
            503,
            'Refused',
            'the web app has no attestation key (CEREMONY_ATTESTATION_KEY): it cannot sign a resolve or cancel',
          );
        try {
          if (name === 'resolve') {
            const choice = req.body?.action === 'abort' ? 'abort' : req.body?.action === 'retry' ? 'retry' : undefined;
            if (!choice) return refuse(reply, 400, 'Refused', 'choose retry or abort');
            await ceremonies.resolve(req.params.id, { action: choice, by: operator, reason }, auth.attestation);
          } else {
            await ceremonies.cancel(req.params.id, { by: operator, reason }, auth.attestation);
          }
        } catch (err) {
          if (err instanceof CeremonyRefusal)
            return refuse(
              reply,
              err.code === 'not-found' ? 404 : err.code === 'invalid-input' ? 400 : 409,
              'Refused',
              err.message,
            );
          throw err;
        }
        reply.redirect(`/ceremonies/${encodeURIComponent(req.params.id)}`, 303);
      },
    );
  action('resolve');
  action('cancel');
}

const cookieOptionsOf = (auth: OperatorAuth) =>
  ({ httpOnly: true, sameSite: 'strict', path: '/', secure: auth.secureCookie }) as const;

/** The inventory's operatorLogins: email and password (the embedded default, without OIDC). */
function registerPasswordLogin(app: FastifyInstance, auth: OperatorAuth, perMinute: number): void {
  const rateLimit = { max: perMinute, timeWindow: '1 minute' };
  const cookieOptions = cookieOptionsOf(auth);
  app.get('/login', async (_req, reply) => {
    reply.type('text/html; charset=utf-8').send(
      page(
        'Operator login',
        html`<h1>Operator login</h1><form method="post" action="/login" class="card">
<label>Email <input name="email" type="email" required></label> <label>Password <input name="password" type="password" required></label> <button type="submit" id="login">Log in</button></form>`,
      ),
    );
  });

  app.post<{ Body: Record<string, string> }>('/login', { config: { rateLimit } }, async (req, reply) => {
    const email = String(req.body?.email ?? '').toLowerCase();
    if (!checkPassword(own(auth.logins ?? {}, email)?.passwordHash, String(req.body?.password ?? ''))) {
      return refuse(reply, 401, 'Login refused', 'unknown operator or wrong password');
    }
    auth.sessions.close(sessionId(req));
    reply
      .setCookie(SESSION_COOKIE, auth.sessions.open(email), {
        ...cookieOptions,
        signed: true,
        maxAge: SESSION_HOURS * 3600,
      })
      .redirect('/', 303);
  });

  app.post('/logout', async (req, reply) => {
    auth.sessions.close(sessionId(req));
    reply.clearCookie(SESSION_COOKIE, cookieOptions).redirect('/', 303);
  });
}

/** With OpenID Connect: /login points at the provider, the password form is gone, and logging
 * out offers the provider's end-session endpoint. */
function registerOidcLogin(
  app: FastifyInstance,
  auth: OperatorAuth,
  signIn: OidcRelyingParty,
  perMinute: number,
): void {
  const cookieOptions = cookieOptionsOf(auth);
  registerSignInPages(app, {
    relyingParty: signIn,
    sessions: auth.sessions,
    sessionCookie: SESSION_COOKIE,
    sessionCookieOptions: cookieOptions,
    closeSession: (req) => auth.sessions.close(sessionId(req)),
    secureCookie: auth.secureCookie,
    perMinute,
  });
  app.get('/login', async (_req, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Sign in',
          html`<h1>Sign in</h1><div class="card"><p>Operators and approvers sign in with their organisation's account.</p><a href="${signInUrl('/')}" id="sign-in">Sign in with ${signIn.issuerName}</a></div>`,
        ),
      );
  });
  app.post('/login', async (_req, reply) =>
    refuse(reply, 404, 'No password login', `sign in through ${signIn.issuerName}: the password login is off`),
  );
  app.post('/logout', async (req, reply) => {
    auth.sessions.close(sessionId(req));
    const endSession = auth.publicUrl ? signIn.endSessionUrl(new URL('/', auth.publicUrl).href) : undefined;
    reply
      .clearCookie(SESSION_COOKIE, cookieOptions)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Logged out',
          html`<h1>Logged out</h1><p id="logged-out">Your session here has ended.</p>${endSession ? html`<p>You are still signed in at ${signIn.issuerName}: <a href="${endSession.href}" id="end-session">sign out there too</a>.</p>` : ''}<p><a href="/">All ceremonies</a></p>`,
        ),
      );
  });
}
