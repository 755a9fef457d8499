import { SessionStore } from '../../web/sessions';

test('a session names its operator for 8 hours, until it is closed', () => {
  const sessions = new SessionStore();
  const t = Date.UTC(2026, 0, 1);
  const a = sessions.open('ops@example.com', t);
  const b = sessions.open('ops@example.com', t);
  expect(a).not.toBe(b);
  expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
  expect(sessions.email(a, t + 8 * 3_600_000 - 1)).toBe('ops@example.com');
  expect(sessions.email(a, t + 8 * 3_600_000)).toBeUndefined();
  sessions.close(b);
  expect(sessions.email(b, t + 1)).toBeUndefined();
  expect(sessions.email('not-a-session', t)).toBeUndefined();
  expect(sessions.email(undefined, t)).toBeUndefined();
});
