import { freePort } from './free-port';
import type { FastifyInstance } from 'fastify';
import { newLinkKeyEntry, parseLinkKeys, type LinkKeys } from '../../ceremonies/approval-links';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../../simulator/mail-catcher';
import { buildWebServer, type WebOptions } from '../../web/server';
import { APPROVERS, OPERATOR, startHarness, type Harness } from './harness';
import { startOidcStandIn, type OidcStandIn } from '../../simulator/oidc-stand-in';
import { OidcRelyingParty } from '../../web/oidc-relying-party';
import { keyring } from './people';

export interface WebEnv {
  h: Harness;
  mail: MailCatcher;
  web: FastifyInstance;
  baseUrl: string;
  keys: LinkKeys;
  /** The local OpenID Connect provider, when the env signs in through it (`oidc: true`). */
  oidc?: OidcStandIn;
  /** The personal decision link in a mail. */
  linkIn(mail: CaughtMail): string;
  close(): Promise<void>;
}

/** Worker mailing through a real SMTP server, and the web app serving the decision pages. */
export async function startWebEnv(
  name: string,
  options: {
    rateLimit?: number;
    operatorLogins?: Record<string, { passwordHash: string }>;
    inventoryPath?: string;
    livePollMs?: number;
    /** Sign in through a local OpenID Connect provider (the approvers and the operator are its people). */
    oidc?: boolean;
  } = {},
): Promise<WebEnv> {
  const mail = await startMailCatcher();
  const keyText = `${newLinkKeyEntry('k2')},${newLinkKeyEntry('k1')}`;
  const keys = parseLinkKeys(keyText);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const h = await startHarness(name, {
    inventoryPath: options.inventoryPath,
    config: {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(mail.smtpPort),
      CEREMONY_PUBLIC_URL: baseUrl,
      CEREMONY_LINK_KEYS: keyText,
    },
  });
  let web: FastifyInstance;
  let oidc: OidcStandIn | undefined;
  let signIn: WebOptions['signIn'];
  try {
    if (options.oidc) {
      const redirectUrl = `${baseUrl}/auth/callback`;
      oidc = await startOidcStandIn({
        people: [...APPROVERS, OPERATOR],
        redirectUrl,
        postLogoutRedirectUrl: `${baseUrl}/`,
      });
      const relyingParty = await OidcRelyingParty.discover({
        issuer: new URL(oidc.issuer),
        clientId: oidc.clientId,
        clientSecret: oidc.clientSecret,
        redirectUrl: new URL(redirectUrl),
        identityClaim: 'email',
        scopes: 'openid email profile',
      });
      signIn = { relyingParty, operators: [OPERATOR] };
    }
    web = await buildWebServer({
      ceremonies: h.ceremonies,
      linkKeys: keys,
      attestation: keyring.attestation,
      linkRateLimit: options.rateLimit ?? 1000,
      operatorLogins: options.operatorLogins,
      signIn,
      publicUrl: baseUrl,
      livePollMs: options.livePollMs,
    });
    await web.listen({ host: '127.0.0.1', port });
  } catch (err) {
    await h.stop();
    await mail.close();
    await oidc?.close();
    throw err;
  }
  return {
    h,
    mail,
    web,
    baseUrl,
    keys,
    oidc,
    linkIn(m) {
      const found = /(http:\/\/127\.0\.0\.1:\d+\/decide\/[A-Za-z0-9_.-]+)/.exec(m.text);
      if (!found) throw new Error(`no decision link in mail "${m.subject}"`);
      return found[1];
    },
    async close() {
      await web.close();
      await h.stop();
      await mail.close();
      await oidc?.close();
    },
  };
}
