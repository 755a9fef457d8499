import { SessionPool, type PoolableSession } from '../../activities/device/session-pool';

// The pool's rules, with sessions that only count: what is reused, what is checked, what is closed.

class FakeSession implements PoolableSession {
  static made = 0;
  readonly id = ++FakeSession.made;
  closed = false;
  pings = 0;
  answers = true;
  async ping(): Promise<boolean> {
    this.pings += 1;
    return this.answers && !this.closed;
  }
  close(): void {
    this.closed = true;
  }
}

const open = async () => new FakeSession();

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a session released cleanly is reused for the same device and user, not for another', async () => {
  const pool = new SessionPool<FakeSession>();
  const first = await pool.acquire('hsm-1/admin', open);
  expect(first.reused).toBe(false);
  first.release();
  const again = await pool.acquire('hsm-1/admin', open);
  expect(again).toMatchObject({ reused: true });
  expect(again.session).toBe(first.session);
  const other = await pool.acquire('hsm-2/admin', open);
  expect(other.session).not.toBe(first.session);
  expect(pool.counters).toMatchObject({ opened: 2, reused: 1 });
});

test('two activities at once get two sessions; both come back', async () => {
  const pool = new SessionPool<FakeSession>();
  const [a, b] = await Promise.all([pool.acquire('k', open), pool.acquire('k', open)]);
  expect(a.session).not.toBe(b.session);
  a.release();
  b.release();
  expect(pool.idleCount).toBe(2);
});

test('a discarded session (failed, timed out, SO logged in, rebooted) is closed and never handed out', async () => {
  const pool = new SessionPool<FakeSession>();
  const lease = await pool.acquire('k', open);
  lease.discard();
  lease.release(); // a second answer changes nothing
  expect(lease.session.closed).toBe(true);
  expect(pool.idleCount).toBe(0);
  expect((await pool.acquire('k', open)).session).not.toBe(lease.session);
});

test('a session closed by the device while idle is skipped', async () => {
  const pool = new SessionPool<FakeSession>();
  const lease = await pool.acquire('k', open);
  lease.release();
  lease.session.close(); // the appliance dropped it
  const next = await pool.acquire('k', open);
  expect(next.reused).toBe(false);
});

test('a session idle past checkAfterMs must answer a ping first; one that does not is closed', async () => {
  const pool = new SessionPool<FakeSession>({ checkAfterMs: 1000 });
  const lease = await pool.acquire('k', open);
  lease.release();
  const soon = await pool.acquire('k', open); // idle 0 ms: no ping
  expect(soon.session.pings).toBe(0);
  soon.release();
  jest.advanceTimersByTime(1500);
  const checked = await pool.acquire('k', open);
  expect(checked).toMatchObject({ reused: true });
  expect(checked.session.pings).toBe(1);
  checked.release();
  checked.session.answers = false; // the VPN path went down silently
  jest.advanceTimersByTime(1500);
  const fresh = await pool.acquire('k', open);
  expect(fresh.reused).toBe(false);
  expect(checked.session.closed).toBe(true);
  expect(pool.counters.failedChecks).toBe(1);
});

test('idle sessions close after idleMs, and beyond maxIdlePerKey at once', async () => {
  const pool = new SessionPool<FakeSession>({ idleMs: 10_000, maxIdlePerKey: 2 });
  const leases = await Promise.all([1, 2, 3].map(() => pool.acquire('k', open)));
  for (const l of leases) l.release();
  expect(pool.idleCount).toBe(2);
  expect(leases[2].session.closed).toBe(true);
  jest.advanceTimersByTime(10_001);
  expect(pool.idleCount).toBe(0);
  expect(leases.every((l) => l.session.closed)).toBe(true);
  expect(pool.counters.expired).toBe(2);
});

test('closeAll closes what waits', async () => {
  const pool = new SessionPool<FakeSession>();
  const lease = await pool.acquire('k', open);
  lease.release();
  pool.closeAll();
  expect(lease.session.closed).toBe(true);
  expect(pool.idleCount).toBe(0);
});
