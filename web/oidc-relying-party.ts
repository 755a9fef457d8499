import { randomBytes } from 'node:crypto';
import type * as OpenIdClientModule from 'openid-client' with { 'resolution-mode': 'import' };
import { z } from 'zod';
import type { SignInIdentity } from '../ceremonies/decision-signature';
import { EMAIL } from '../ceremonies/patterns';

// The web app as an OpenID Connect relying party (openid-client): the authorization code flow
// with PKCE, `state` and `nonce`. openid-client checks the authorization response, redeems the
// code and verifies the id token (issuer, audience, expiry, nonce and, with non-repudiation
// checks on, its signature against the provider's keys); nothing here reads a claim before it has.

/** openid-client is ESM-only: loaded with import() (a require() in the tests' CommonJS). */
type OpenIdClient = typeof OpenIdClientModule;
type Configuration = OpenIdClientModule.Configuration;

export interface RelyingPartyOptions {
  issuer: URL;
  clientId: string;
  /** The secret itself (resolved from its reference by the caller). */
  clientSecret: string;
  redirectUrl: URL;
  /** The claim that names the person (`email`, `preferred_username`). */
  identityClaim: string;
  scopes: string;
}

/** A sign-in that did not check out; its message says why, for the person's page. */
export class SignInRefused extends Error {}

/** How long a started sign-in may take (state, nonce and code verifier are kept that long). */
export const TRANSACTION_SECONDS = 600;
/** Sign-ins under way at once; more are refused until some finish or expire. */
const MAX_TRANSACTIONS = 10_000;

interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expires: number;
}

/** Who signed in: the inventory's name for them (the identity claim, lower-cased), the
 * provider's issuer and subject, and when the id token expires (ms since the epoch). */
export interface SignedIn {
  email: string;
  identity: SignInIdentity;
  expires: number;
  returnTo: string;
}

// read only after openid-client verified the token
const IdTokenClaims = z.looseObject({
  iss: z.string().min(1),
  sub: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'expected a subject of printable characters'),
  exp: z.number(),
  email_verified: z.union([z.boolean(), z.string()]).optional(),
});

export class OidcRelyingParty {
  private readonly transactions = new Map<string, Transaction>();

  private constructor(
    private readonly oidc: OpenIdClient,
    private readonly config: Configuration,
    private readonly options: RelyingPartyOptions,
  ) {}

  /** Reads the provider's discovery document; plain http only for a loopback issuer (config refuses others). */
  static async discover(options: RelyingPartyOptions): Promise<OidcRelyingParty> {
    const oidc = await import('openid-client');
    const execute = [oidc.enableNonRepudiationChecks];
    if (options.issuer.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    let config: Configuration;
    try {
      config = await oidc.discovery(options.issuer, options.clientId, options.clientSecret, undefined, { execute });
    } catch (err) {
      throw new Error(`OpenID Connect provider ${options.issuer.href}: discovery failed (${(err as Error).message})`);
    }
    return new OidcRelyingParty(oidc, config, options);
  }

  /** The provider as people know it: its issuer's host. */
  get issuerName(): string {
    return new URL(this.config.serverMetadata().issuer).host;
  }

  /** The provider's end-session endpoint for this client, when it has one. */
  endSessionUrl(postLogoutRedirect: string): URL | undefined {
    if (!this.config.serverMetadata().end_session_endpoint) return undefined;
    return this.oidc.buildEndSessionUrl(this.config, {
      client_id: this.options.clientId,
      post_logout_redirect_uri: postLogoutRedirect,
    });
  }

  /** Starts a sign-in: its transaction id (for the browser's cookie) and the provider's URL. */
  async begin(returnTo: string, now = Date.now()): Promise<{ transactionId: string; url: URL }> {
    for (const [id, t] of this.transactions) if (t.expires <= now) this.transactions.delete(id);
    if (this.transactions.size >= MAX_TRANSACTIONS)
      throw new SignInRefused('too many sign-ins are under way: try again in a few minutes');
    const codeVerifier = this.oidc.randomPKCECodeVerifier();
    const state = this.oidc.randomState();
    const nonce = this.oidc.randomNonce();
    const url = this.oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: this.options.redirectUrl.href,
      scope: this.options.scopes,
      code_challenge: await this.oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const transactionId = randomBytes(32).toString('base64url');
    this.transactions.set(transactionId, {
      state,
      nonce,
      codeVerifier,
      returnTo,
      expires: now + TRANSACTION_SECONDS * 1000,
    });
    return { transactionId, url };
  }

  /** Finishes the sign-in of this browser's transaction with the provider's answer (the query of
   * the callback). The transaction is used up whatever happens: a replay finds none. */
  async finish(transactionId: string | undefined, query: string, now = Date.now()): Promise<SignedIn> {
    const transaction = transactionId === undefined ? undefined : this.transactions.get(transactionId);
    if (transactionId !== undefined) this.transactions.delete(transactionId);
    if (!transaction || transaction.expires <= now)
      throw new SignInRefused(
        'this sign-in is unknown to this browser, already used or expired (a sign-in works once, within 10 minutes): sign in again',
      );
    const callback = new URL(this.options.redirectUrl.href);
    callback.search = query;
    let claims: unknown;
    try {
      const tokens = await this.oidc.authorizationCodeGrant(this.config, callback, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      throw new SignInRefused(`the provider's answer did not check out: ${whatFailed(err)}`);
    }
    const parsed = IdTokenClaims.safeParse(claims);
    if (!parsed.success) throw new SignInRefused(`the id token lacks what a sign-in needs (${parsed.error.message})`);
    const token = parsed.data;
    const name = (claims as Record<string, unknown>)[this.options.identityClaim];
    if (typeof name !== 'string' || !EMAIL.test(name))
      throw new SignInRefused(
        `the id token's ${this.options.identityClaim} claim does not name a person by email address (OIDC_IDENTITY_CLAIM)`,
      );
    if (this.options.identityClaim === 'email' && (token.email_verified === false || token.email_verified === 'false'))
      throw new SignInRefused('the provider says this email address is not verified');
    return {
      email: name.toLowerCase(),
      identity: { issuer: token.iss, subject: token.sub },
      expires: token.exp * 1000,
      returnTo: transaction.returnTo,
    };
  }
}

/** openid-client's message, and the check that failed beneath it (oauth4webapi's, as the cause). */
function whatFailed(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return cause && cause !== message ? `${message} (${cause})` : message;
}
