import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Inventory } from '../ceremonies/inventory';
import { html } from '../runtime/html';

// A local OpenID Connect provider standing in for Microsoft Entra ID (`npm start` and the tests):
// oidc-provider, on 127.0.0.1 over plain http, with one client (the web app) and the people of an
// inventory as accounts. Its login page lists them: pick one, no password. DEV ONLY.
// Faults, for the tests: the next id token it issues can be tampered with, signed with a foreign
// key, expired or carry another nonce (re-signed with its own key where the test needs the
// signature to hold, so that only the one check under test can refuse it).

export type IdTokenFault = 'tampered' | 'foreign-key' | 'expired' | 'wrong-nonce';

export interface OidcStandIn {
  /** `http://127.0.0.1:<port>`: OIDC_ISSUER */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The subject (`sub`) the stand-in gives a person: opaque, as Entra ID's is. */
  subjectOf(email: string): string;
  /** The next id token the token endpoint returns is spoiled this way. */
  spoilNextIdToken(fault: IdTokenFault): void;
  close(): Promise<void>;
}

export interface OidcStandInOptions {
  /** The people who can sign in (emails). */
  people: readonly string[];
  /** The web app's redirect URI (OIDC_REDIRECT_URL). */
  redirectUrl: string;
  /** Where the provider may send a browser after it signed out (the web app's base URL). */
  postLogoutRedirectUrl: string;
  port?: number;
}

/** Everyone an inventory names: operators, approvers, support contacts, external signers' contacts. */
export function inventoryPeople(inventory: Inventory): string[] {
  const people = new Set<string>(inventory.operators);
  for (const group of Object.values(inventory.approverGroups)) for (const m of group.members) people.add(m);
  for (const c of inventory.supportContacts) people.add(c);
  for (const signer of Object.values(inventory.externalSigners)) for (const c of signer.contacts) people.add(c);
  return [...people].sort();
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

/** An RSA key, made as PEM and loaded from it: the provider's key set exports it as JWK, which a
 * KeyObject straight out of the generation must never be (eslint.config.mjs says why). */
function newRsaKey(): KeyObject {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return createPrivateKey(pair.privateKey);
}

function spoil(idToken: string, fault: IdTokenFault, own: KeyObject, foreign: KeyObject): string {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  switch (fault) {
    case 'tampered':
      return `${h}.${b64url(JSON.stringify({ ...payload, email: 'someone-else@example.com' }))}.${s}`;
    case 'foreign-key':
      return signJwt(header, payload, foreign);
    case 'expired':
      return signJwt(header, { ...payload, iat: now - 7200, exp: now - 3600 }, own);
    case 'wrong-nonce':
      return signJwt(header, { ...payload, nonce: 'not-the-nonce-the-app-sent' }, own);
  }
}

function loginPage(uid: string, people: readonly string[], client: string): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · local OpenID Connect stand-in</title></head>
<body><h1>Sign in (local stand-in for Entra ID)</h1>
<p><b>Development only:</b> this provider signs in whoever you pick, without a password. It stands in for your
organisation's provider in the local stack and the tests; never point a real deployment at it.</p>
<p>Signing in to <code>${client}</code> as:</p>
<form method="post" action="/interaction/${uid}/login">
${people.map(
  (p) => html`<button type="submit" name="person" value="${p}" data-person="${p}">${p}</button><br>
`,
)}
</form></body></html>`.text;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) break;
  }
  return new URLSearchParams(text);
}

export async function startOidcStandIn(options: OidcStandInOptions): Promise<OidcStandIn> {
  // oidc-provider is ESM-only: import() (a require() once the tests compile it to CommonJS)
  const { default: Provider } = await import('oidc-provider');
  const subjects = new Map(
    options.people.map((email) => [
      email.toLowerCase(),
      b64url(createHash('sha256').update(`hsm-ceremonies stand-in:${email.toLowerCase()}`).digest()).slice(0, 43),
    ]),
  );
  const people = new Map([...subjects].map(([email, sub]) => [sub, email]));
  const privateKey = newRsaKey();
  const foreign = newRsaKey();
  const clientId = 'hsm-ceremonies-web';
  const clientSecret = randomBytes(24).toString('base64url');
  let fault: IdTokenFault | undefined;

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUrl],
        post_logout_redirect_uris: [options.postLogoutRedirectUrl],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'stand-in-1', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx: unknown, sub: string) => {
      const email = people.get(sub);
      return email
        ? {
            accountId: sub,
            claims: () => ({ sub, email, email_verified: true, preferred_username: email, name: email.split('@')[0] }),
          }
        : undefined;
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    // as Entra ID does: the person's claims in the id token itself
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // seconds; an id token lasts an hour, as Entra ID's do
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 600, IdToken: 3600 },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (fault && ctx.path === '/token' && typeof body?.id_token === 'string') {
      body.id_token = spoil(body.id_token, fault, privateKey, foreign);
      fault = undefined;
    }
  });

  const callback = provider.callback();
  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && req.url?.endsWith('/login')) {
      const email = (await formBody(req)).get('person')?.toLowerCase() ?? '';
      const sub = subjects.get(email);
      if (!sub) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown person');
      return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    }
    if (details.prompt.name === 'login') {
      const html = loginPage(details.uid, [...subjects.keys()], String(details.params.client_id));
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    }
    // consent: the web app is the organisation's own app, as an admin-consented Entra ID app is
    const { accountId } = details.session ?? {};
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: accountId ?? '', clientId: String(details.params.client_id) });
    if (!grant) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown grant');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };
  handler = (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    interaction(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`sign-in failed: ${err.message}`);
    });
  };

  return {
    issuer,
    clientId,
    clientSecret,
    subjectOf: (email) => subjects.get(email.toLowerCase()) ?? '',
    spoilNextIdToken: (f) => {
      fault = f;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
