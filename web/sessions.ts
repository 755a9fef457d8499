import { randomBytes } from 'node:crypto';

// Operator sessions, kept in the web process: logging out deletes the session, so a copy of its
// cookie stops working at once. A restart of the web app logs every operator out.

export const SESSION_HOURS = 8;

export class SessionStore {
  private readonly sessions = new Map<string, { email: string; expires: number }>();

  constructor(private readonly lifetimeMs = SESSION_HOURS * 3_600_000) {}

  /** A new session for the operator; returns its id (256 random bits). */
  open(email: string, now = Date.now()): string {
    for (const [id, session] of this.sessions) if (session.expires <= now) this.sessions.delete(id);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { email, expires: now + this.lifetimeMs });
    return id;
  }

  /** The operator of a live session, or undefined (unknown, logged out or expired). */
  email(id: string | undefined, now = Date.now()): string | undefined {
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session || session.expires <= now) return undefined;
    return session.email;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }
}
