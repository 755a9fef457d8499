import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SIGN_IN_CALLBACK_PATH } from '../runtime/config';
import { html, page } from '../runtime/html';
import { SignInRefused, TRANSACTION_SECONDS, type OidcRelyingParty } from './oidc-relying-party';
import type { SessionStore } from './sessions';

// The OpenID Connect routes: /auth/login starts a sign-in (a transaction kept in this process,
// named by a cookie of this browser), /auth/callback finishes it once and opens a session.

export const SIGN_IN_PATH = '/auth/login';
const TRANSACTION_COOKIE = 'sign-in';

/** A path of this app to come back to (never another site: no scheme, no `//`, no backslash). */
export function localPath(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 4200 && /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/.test(value)
    ? value
    : undefined;
}

/** Where a browser is sent to sign in and come back to `returnTo`. */
export function signInUrl(returnTo: string): string {
  return `${SIGN_IN_PATH}?return=${encodeURIComponent(returnTo)}`;
}

export function signInRefusedPage(reply: FastifyReply, status: number, message: string): void {
  reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      page(
        'Sign-in refused',
        html`<h1>Sign-in refused</h1><div class="card refusal" id="sign-in-refused"><b>${message}</b></div><p class="muted">Nothing was changed and no session was opened.</p><p><a href="${SIGN_IN_PATH}">Sign in again</a> · <a href="/">All ceremonies</a></p>`,
      ),
    );
}

export interface SignInRoutes {
  relyingParty: OidcRelyingParty;
  sessions: SessionStore;
  sessionCookie: string;
  /** The session cookie's attributes, as the operator pages set and clear it. */
  sessionCookieOptions: CookieSerializeOptions;
  /** Ends the session this request's cookie names, if any (a sign-in replaces it). */
  closeSession(req: FastifyRequest): void;
  /** The session cookie is `Secure` (the public URL is https). */
  secureCookie: boolean;
  perMinute: number;
}

export function registerSignInPages(app: FastifyInstance, routes: SignInRoutes): void {
  const { relyingParty, sessions } = routes;
  const rateLimit = { max: routes.perMinute, timeWindow: '1 minute' };
  // the provider's redirect back is a cross-site navigation: the transaction cookie must be Lax to come with it
  const transactionCookie = {
    httpOnly: true,
    sameSite: 'lax',
    path: '/auth',
    secure: routes.secureCookie,
    signed: true,
  } as const;

  app.get<{ Querystring: { return?: string } }>(SIGN_IN_PATH, { config: { rateLimit } }, async (req, reply) => {
    const returnTo = localPath(req.query.return) ?? '/';
    try {
      const { transactionId, url } = await relyingParty.begin(returnTo);
      reply
        .header('cache-control', 'no-store')
        .setCookie(TRANSACTION_COOKIE, transactionId, { ...transactionCookie, maxAge: TRANSACTION_SECONDS })
        .redirect(url.href, 303);
    } catch (err) {
      if (err instanceof SignInRefused) return signInRefusedPage(reply, 503, err.message);
      throw err;
    }
  });

  app.get(SIGN_IN_CALLBACK_PATH, { config: { rateLimit } }, async (req: FastifyRequest, reply) => {
    const raw = req.cookies[TRANSACTION_COOKIE];
    const unsigned = raw === undefined ? undefined : req.unsignCookie(raw);
    const transactionId = unsigned?.valid && unsigned.value !== null ? unsigned.value : undefined;
    reply.clearCookie(TRANSACTION_COOKIE, transactionCookie);
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    let signedIn;
    try {
      signedIn = await relyingParty.finish(transactionId, query);
    } catch (err) {
      if (err instanceof SignInRefused) {
        req.log.info({ refusal: err.message }, 'sign-in refused');
        return signInRefusedPage(reply, 403, err.message);
      }
      throw err;
    }
    routes.closeSession(req);
    const id = sessions.open(signedIn.email, Date.now(), { identity: signedIn.identity, until: signedIn.expires });
    req.log.info({ person: signedIn.email, subject: signedIn.identity.subject }, 'signed in');
    // a page of this app takes the browser on: the session cookie is SameSite=Strict, and a
    // redirect chain the provider started would arrive without it
    reply
      .header('cache-control', 'no-store')
      .setCookie(routes.sessionCookie, id, {
        ...routes.sessionCookieOptions,
        signed: true,
        maxAge: sessions.secondsLeft(id),
      })
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Signed in',
          html`<h1>Signed in</h1><p id="signed-in">Signed in as <b>${signedIn.email}</b>. <a href="${signedIn.returnTo}" id="continue">Continue</a></p>`,
          { goTo: signedIn.returnTo },
        ),
      );
  });
}
