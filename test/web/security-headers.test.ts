import { APPROVERS, gate, OPERATOR, record, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { hashPassword } from '../../runtime/passwords';

// Every page carries the security headers: a strict Content-Security-Policy (scripts and
// connections only from the app, no inline script or style, forms only to the app, no framing),
// X-Frame-Options, nosniff, no referrer.

const PASSWORD = 'operator-password-for-tests';
let env: WebEnv;
let id: string;
let link: string;
let cookie: string;
beforeAll(async () => {
  env = await startWebEnv('headers', { operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } } });
  id = await env.h.start(testPlan([gate(), record('effect')]));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  link = env.linkIn(await env.mail.waitFor((m) => m.to.includes(APPROVERS[0]) && m.headers['x-ceremony-id'] === id));
  const login = await fetch(`${env.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: OPERATOR, password: PASSWORD }),
  });
  cookie = login.headers.get('set-cookie')!.split(';')[0];
});
afterAll(async () => {
  await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'headers test done' }).catch(() => undefined);
  await env?.close();
});

const EXPECTED_CSP = {
  'default-src': "'none'",
  'script-src': "'self'",
  'connect-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
  'base-uri': "'none'",
};

function directives(header: string | null): Record<string, string> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name, values.join(' ')];
      }),
  );
}

const pages: { name: string; path: () => string; status: number; withLogin: boolean }[] = [
  { name: 'the dashboard', path: () => '/', status: 200, withLogin: false },
  { name: 'a ceremony page', path: () => `/ceremonies/${id}`, status: 200, withLogin: false },
  { name: 'a ceremony page with operator actions', path: () => `/ceremonies/${id}`, status: 200, withLogin: true },
  { name: 'a decision page', path: () => link.slice(env.baseUrl.length), status: 200, withLogin: false },
  { name: 'the login page', path: () => '/login', status: 200, withLogin: false },
  { name: 'a refused decision link', path: () => '/decide/garbage', status: 400, withLogin: false },
  { name: 'an unknown ceremony', path: () => '/ceremonies/ceremony-jira-NOPE-1', status: 404, withLogin: false },
];

test.each(pages)(
  '$name carries the security headers and no inline script or style',
  async ({ path, status, withLogin }) => {
    const res = await fetch(`${env.baseUrl}${path()}`, { headers: withLogin ? { cookie } : {} });
    const body = await res.text();
    expect(res.status).toBe(status);
    expect(directives(res.headers.get('content-security-policy'))).toEqual(EXPECTED_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // the public URL is http here
    if (withLogin) expect(body).toContain('id="cancel-form"');
    if (withLogin) expect(body).toMatch(/<script src="\/assets\/witness\.js\?v=[0-9a-f]{12}" defer><\/script>/); // live while it runs
    expect(body).toMatch(/<link rel="stylesheet" href="\/assets\/app\.css\?v=[0-9a-f]{12}">/);
    // the one script a page may load: the live ceremony page's, from the app
    expect(body).not.toMatch(
      /<script(?! src="\/assets\/witness\.js\?v=[0-9a-f]{12}" defer><\/script>)|<style|\sstyle=|\son[a-z]+=/i,
    );
  },
);

test('JSON routes carry the headers too', async () => {
  const res = await fetch(`${env.baseUrl}/api/ceremonies/${id}`);
  expect(res.status).toBe(200);
  expect(directives(res.headers.get('content-security-policy'))).toEqual(EXPECTED_CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});

test('the stylesheet is served from the app, cacheable, at the URL the pages link', async () => {
  const page = await (await fetch(`${env.baseUrl}/`)).text();
  const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page)![1];
  const res = await fetch(`${env.baseUrl}${href}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  const css = await res.text();
  // the classes that replaced the inline styles
  expect(css).toContain('.this-gate{');
  expect(css).toContain('a.phase{');
  const decision = await (await fetch(link)).text();
  expect(decision).toMatch(/<tr class="this-gate"><td>1<\/td>/);
});
