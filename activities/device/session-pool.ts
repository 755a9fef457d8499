// Logged-in device sessions kept open between activities, per device and user: a device step
// then costs its commands, not a TCP connect, an SSH handshake and a login (9 ms on a LAN, a
// VPN round trip or more in Azure). What may be reused is narrow on purpose:
// - only a session that ended its lease cleanly: a failed or timed-out command, a command that
//   ends the session (a reboot), or an HSM Administrator login closes it (the SO's login lives in
//   the session, and the next activity must not inherit it);
// - only while the device still answers: before reuse, a session idle for longer than
//   `checkAfterMs` must answer an empty command (a prompt) within `checkTimeoutMs`;
// - only for `idleMs` after its last use; then it is closed.

export interface PoolableSession {
  /** the transport is gone (closed by either side) */
  readonly closed: boolean;
  /** does the device still answer? (one round trip: an empty command and its prompt) */
  ping(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface SessionPoolOptions {
  /** how long an unused session stays open */
  idleMs: number;
  /** sessions kept idle per key (device and user); more are closed as they come back */
  maxIdlePerKey: number;
  /** reuse a session idle for less than this without asking the device */
  checkAfterMs: number;
  /** how long the device may take to answer the check */
  checkTimeoutMs: number;
}

export const DEFAULT_POOL_OPTIONS: SessionPoolOptions = {
  idleMs: 60_000,
  maxIdlePerKey: 8,
  checkAfterMs: 2_000,
  checkTimeoutMs: 5_000,
};

interface Idle<S> {
  session: S;
  since: number;
  timer: NodeJS.Timeout;
}

/** A session on loan: give it back with `release()` (reusable) or `discard()` (closed). */
export interface Lease<S> {
  readonly session: S;
  /** whether it came from the pool (logged in earlier) rather than opened now */
  readonly reused: boolean;
  release(): void;
  discard(): void;
}

export class SessionPool<S extends PoolableSession> {
  private readonly idle = new Map<string, Idle<S>[]>();
  private readonly options: SessionPoolOptions;
  private stats = { opened: 0, reused: 0, discarded: 0, expired: 0, failedChecks: 0 };
  private shut = false;

  constructor(
    options: Partial<SessionPoolOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_POOL_OPTIONS, ...options };
  }

  /** A live session for `key`: an idle one that passes the check, else a new one from `open`. */
  async acquire(key: string, open: () => Promise<S>): Promise<Lease<S>> {
    for (;;) {
      const entry = this.idle.get(key)?.pop();
      if (!entry) break;
      clearTimeout(entry.timer);
      if (entry.session.closed) continue;
      const idleFor = this.now() - entry.since;
      if (
        idleFor >= this.options.checkAfterMs &&
        !(await entry.session.ping(this.options.checkTimeoutMs).catch(() => false))
      ) {
        this.stats.failedChecks += 1;
        entry.session.close();
        continue;
      }
      this.stats.reused += 1;
      return this.lease(key, entry.session, true);
    }
    const session = await open();
    this.stats.opened += 1;
    return this.lease(key, session, false);
  }

  private lease(key: string, session: S, reused: boolean): Lease<S> {
    let done = false;
    const finish = (keep: boolean) => {
      if (done) return;
      done = true;
      if (keep && !session.closed) this.putBack(key, session);
      else {
        if (!keep) this.stats.discarded += 1;
        session.close();
      }
    };
    return { session, reused, release: () => finish(true), discard: () => finish(false) };
  }

  private putBack(key: string, session: S): void {
    const list = this.idle.get(key) ?? [];
    if (this.shut || list.length >= this.options.maxIdlePerKey) {
      session.close();
      return;
    }
    const entry: Idle<S> = {
      session,
      since: this.now(),
      timer: setTimeout(() => {
        const current = this.idle.get(key);
        const at = current?.indexOf(entry) ?? -1;
        if (current && at >= 0) current.splice(at, 1);
        if (current?.length === 0) this.idle.delete(key);
        this.stats.expired += 1;
        session.close();
      }, this.options.idleMs),
    };
    entry.timer.unref(); // an idle session never keeps the worker alive
    list.push(entry);
    this.idle.set(key, list);
  }

  /** How many sessions wait, in all. */
  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  get counters(): Readonly<typeof this.stats> {
    return { ...this.stats };
  }

  /** Close every idle session, and each one given back from now on (the worker stops). */
  closeAll(): void {
    this.shut = true;
    for (const list of this.idle.values()) {
      for (const entry of list) {
        clearTimeout(entry.timer);
        entry.session.close();
      }
    }
    this.idle.clear();
  }
}
