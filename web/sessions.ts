import { randomBytes } from 'node:crypto';
import type { SignInIdentity } from '../ceremonies/decision-signature';

// Operator sessions, kept in the web process: logging out deletes the session, so a copy of its
// cookie stops working at once. A restart of the web app logs every operator out.

export const SESSION_HOURS = 8;

/** Who a session is: their email (the inventory's name for them) and, after an OpenID Connect
 * sign-in, the provider's issuer and subject. */
export interface SessionPerson {
  email: string;
  identity?: SignInIdentity;
}

export class SessionStore {
  private readonly sessions = new Map<string, SessionPerson & { expires: number }>();

  constructor(private readonly lifetimeMs = SESSION_HOURS * 3_600_000) {}

  /** A new session for the person; returns its id (256 random bits). It ends after the store's
   * lifetime, or at `until` (ms since the epoch: e.g. the id token's expiry) if that is sooner. */
  open(email: string, now = Date.now(), more: { identity?: SignInIdentity; until?: number } = {}): string {
    for (const [id, session] of this.sessions) if (session.expires <= now) this.sessions.delete(id);
    const id = randomBytes(32).toString('base64url');
    const expires = Math.min(now + this.lifetimeMs, more.until ?? Infinity);
    this.sessions.set(id, { email, expires, ...(more.identity ? { identity: more.identity } : {}) });
    return id;
  }

  /** The operator of a live session, or undefined (unknown, logged out or expired). */
  email(id: string | undefined, now = Date.now()): string | undefined {
    return this.person(id, now)?.email;
  }

  /** The person of a live session, or undefined (unknown, logged out or expired). */
  person(id: string | undefined, now = Date.now()): SessionPerson | undefined {
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session || session.expires <= now) return undefined;
    return { email: session.email, ...(session.identity ? { identity: session.identity } : {}) };
  }

  /** Seconds until a live session ends (for the cookie's Max-Age). */
  secondsLeft(id: string, now = Date.now()): number {
    const session = this.sessions.get(id);
    return session ? Math.max(0, Math.floor((session.expires - now) / 1000)) : 0;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }
}
