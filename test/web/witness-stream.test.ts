import { gate, OPERATOR, record, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';
import { hashPassword } from '../../runtime/passwords';

// The ceremony's event stream (GET /ceremonies/:id/events): logged-in operators only, each
// timeline event once with its seq as the id (Last-Event-ID resumes after it), the phase, and an
// end; an ended ceremony with nothing new is a 204 (an EventSource then stops reconnecting).

const PASSWORD = 'operator-password-for-witness';
let env: WebEnv;
let cookie: string;
beforeAll(async () => {
  env = await startWebEnv('witness-stream', {
    operatorLogins: { [OPERATOR]: { passwordHash: hashPassword(PASSWORD) } },
    livePollMs: 200,
  });
  cookie = await login();
});
afterAll(async () => {
  await env?.close();
});

async function login(): Promise<string> {
  const res = await fetch(`${env.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: OPERATOR, password: PASSWORD }),
  });
  return res.headers.get('set-cookie')!.split(';')[0];
}

interface Frame {
  id?: string;
  event?: string;
  data?: unknown;
  retry?: string;
  comment?: string;
}

/** Server-sent events as the EventSource spec parses them (one data line per event here). */
function parseFrames(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        const [, field, value] = /^([a-z]+): ?(.*)$/.exec(line) ?? [];
        if (field === 'data') frame.data = JSON.parse(value);
        else if (field === 'id' || field === 'event' || field === 'retry') frame[field] = value;
      }
      return frame;
    });
}

const events = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${env.baseUrl}${path}`, { headers: { cookie, ...headers } });

test('an ended ceremony streams every timeline event once, in order, with its seq as id, then its phase and the end', async () => {
  const id = await env.h.start(testPlan([gate(), record('first'), record('second')]));
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const approver of ['alice@example.com', 'bob@example.com'])
    await env.h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  await result(env.h.ceremonies, id);
  const timeline = await env.h.ceremonies.timeline(id);

  const res = await events(`/ceremonies/${id}/events`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-store');
  const frames = parseFrames(await res.text()); // the stream ends by itself
  expect(frames[0]).toEqual({ retry: '2000' });
  const witnessed = frames.filter((f) => f.event === 'witness');
  expect(witnessed.map((f) => [f.id, (f.data as { type: string }).type])).toEqual(
    timeline.map((e) => [String(e.seq), e.type]),
  );
  expect(witnessed.map((f) => (f.data as { kind: string }).kind)).toEqual(
    timeline.map(
      (e) =>
        (
          ({
            'gate-opened': 'step-started',
            'step-started': 'step-started',
            approve: 'decision',
            'gate-passed': 'step-ended',
            'step-succeeded': 'step-ended',
            'ceremony-ended': 'ended',
          }) as Partial<Record<string, string>>
        )[e.type] ?? 'note',
    ),
  );
  expect(frames.slice(-2)).toEqual([
    { event: 'phase', data: { phase: 'completed', currentStep: null } },
    { event: 'end', data: { phase: 'completed' } },
  ]);

  // a reconnect names the last id it saw: only what came after, nothing twice
  const resumed = parseFrames(await (await events(`/ceremonies/${id}/events`, { 'last-event-id': '4' })).text()).filter(
    (f) => f.event === 'witness',
  );
  expect(resumed.map((f) => f.id)).toEqual(timeline.filter((e) => e.seq > 4).map((e) => String(e.seq)));
  // the page's own starting point, when there is no Last-Event-ID yet
  const fromPage = parseFrames(
    await (await events(`/ceremonies/${id}/events?after=${timeline.length - 1}`)).text(),
  ).filter((f) => f.event === 'witness');
  expect(fromPage.map((f) => f.id)).toEqual([String(timeline.length)]);
  // everything seen and the ceremony over: 204, which an EventSource does not reconnect after
  const done = await events(`/ceremonies/${id}/events`, { 'last-event-id': String(timeline.length) });
  expect([done.status, await done.text()]).toEqual([204, '']);
});

test('a running ceremony streams what happens as it happens, up to its end', async () => {
  const id = await env.h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const res = await events(`/ceremonies/${id}/events`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const readUntil = async (done: (t: string) => boolean) => {
    while (!done(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += chunk.value;
    }
  };
  await readUntil((t) => t.includes('"type":"gate-opened"') && t.includes('event: phase'));
  expect(parseFrames(text).find((f) => f.event === 'phase')?.data).toEqual({
    phase: 'awaiting-approval',
    currentStep: 'approve',
  });
  expect(text).not.toContain('"type":"approve"');

  for (const approver of ['alice@example.com', 'bob@example.com'])
    await env.h.ceremonies.approve(id, { gate: 'approve', approver, planDigest: open.planDigest });
  await readUntil(() => false); // to the stream's end
  const frames = parseFrames(text);
  const witnessed = frames
    .filter((f) => f.event === 'witness')
    .map(
      (f) =>
        f.data as {
          seq: number;
          type: string;
          actor: string;
          step?: string;
          decision?: { actor: string; via: string };
        },
    );
  expect(witnessed.filter((e) => e.type === 'approve').map((e) => e.decision)).toEqual([
    expect.objectContaining({ actor: 'alice@example.com', decision: 'approve', gate: 'approve', via: 'cli' }),
    expect.objectContaining({ actor: 'bob@example.com', decision: 'approve', gate: 'approve', via: 'cli' }),
  ]);
  expect(witnessed.map((e) => e.seq)).toEqual(witnessed.map((_, i) => i + 1));
  expect(witnessed.filter((e) => e.seq > 3).map((e) => [e.type, e.step, e.actor])).toEqual([
    ['approve', 'approve', 'alice@example.com'],
    ['approve', 'approve', 'bob@example.com'],
    ['gate-passed', 'approve', 'system'],
    ['step-started', 'effect', 'worker'],
    ['step-succeeded', 'effect', 'worker'],
    ['ceremony-ended', undefined, 'system'],
  ]);
  expect(frames.filter((f) => f.event === 'phase').map((f) => (f.data as { phase: string }).phase)).toEqual(
    expect.arrayContaining(['awaiting-approval', 'completed']),
  );
  expect(frames.at(-1)).toEqual({ event: 'end', data: { phase: 'completed' } });
  expect(witnessed.map((e) => e.seq)).toEqual((await env.h.ceremonies.timeline(id)).map((e) => e.seq));
});

test('the stream is refused without a login, for an unknown ceremony, or with a malformed Last-Event-ID; nothing changes', async () => {
  const id = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const [status, timeline] = [await env.h.ceremonies.status(id), await env.h.ceremonies.timeline(id)];

  const anonymous = await fetch(`${env.baseUrl}/ceremonies/${id}/events`);
  expect([anonymous.status, await anonymous.text()]).toEqual([
    401,
    'only a logged-in operator can follow a ceremony live (log in at /login)\n',
  ]);
  const forged = await fetch(`${env.baseUrl}/ceremonies/${id}/events`, {
    headers: { cookie: 'operator=forged.cookie' },
  });
  expect(forged.status).toBe(401);
  for (const unknown of ['ceremony-jira-NOPE-1', 'constructor', 'hasOwnProperty']) {
    const res = await events(`/ceremonies/${unknown}/events`);
    expect([unknown, res.status]).toEqual([unknown, 404]);
    expect(await res.text()).toContain(`no ceremony ${unknown}`);
  }
  expect((await events('/ceremonies/__proto__/events')).status).toBe(400);
  for (const bad of ['-1', 'x', '1e3', '9999999999']) {
    const res = await events(`/ceremonies/${id}/events`, { 'last-event-id': bad });
    expect([bad, res.status]).toEqual([bad, 400]);
  }
  expect((await events(`/ceremonies/${id}/events?after=abc`)).status).toBe(400);
  expect(await env.h.ceremonies.status(id)).toEqual(status);
  expect(await env.h.ceremonies.timeline(id)).toEqual(timeline);
  await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'refusals test done' });
});

test("logging out ends the session's streams, and its cookie cannot open another", async () => {
  const session = await login();
  const id = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const res = await fetch(`${env.baseUrl}/ceremonies/${id}/events`, { headers: { cookie: session } });
  expect(res.status).toBe(200);
  const body = res.text();
  await fetch(`${env.baseUrl}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: session } });
  expect(parseFrames(await body).at(-1)?.event).toBe('phase'); // closed without an end: the ceremony goes on
  expect((await env.h.ceremonies.status(id)).phase).toBe('awaiting-approval');
  expect((await fetch(`${env.baseUrl}/ceremonies/${id}/events`, { headers: { cookie: session } })).status).toBe(401);
  await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'logout test done' });
});

test('the page: live for a logged-in operator while the ceremony runs (its script from the app, no inline script); plain otherwise', async () => {
  const id = await env.h.start(testPlan([gate()]));
  await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const page = async (withLogin: boolean) =>
    (await fetch(`${env.baseUrl}/ceremonies/${id}`, { headers: withLogin ? { cookie } : {} })).text();

  const live = await page(true);
  const script = /<script src="(\/assets\/witness\.js\?v=[0-9a-f]{12})" defer><\/script>/.exec(live)![1];
  expect(live.match(/<script/g)).toHaveLength(1);
  expect(live).toContain('<noscript><meta http-equiv="refresh" content="5"></noscript>');
  // without JavaScript, the log shows the state as it was when the page was made (the approval
  // mail may add to the timeline after it), and the stream goes on from there
  const shown = [...live.matchAll(/<li class="ev ev-[a-z-]+" data-seq="(\d+)"/g)].map((m) => Number(m[1]));
  const timeline = await env.h.ceremonies.timeline(id);
  expect(shown).toEqual(timeline.slice(0, shown.length).map((e) => e.seq));
  expect(live).toContain(`data-stream="/ceremonies/${id}/events?after=${shown.length}"`);
  expect(live).toContain('<b class="what">gate-opened</b>');

  const anonymous = await page(false);
  expect(anonymous).not.toContain('<script');
  expect(anonymous).not.toContain('data-stream=');
  expect(anonymous).toContain('<meta http-equiv="refresh" content="5">');
  expect(anonymous).toContain('to follow it live');

  const asset = await fetch(`${env.baseUrl}${script}`);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  const source = await asset.text();
  expect(source).toContain('new EventSource(log.dataset.stream)');
  expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);

  await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'page test done' });
  await result(env.h.ceremonies, id);
  const ended = await page(true);
  expect(ended).not.toContain('<script');
  expect(ended).not.toContain('http-equiv="refresh"');
  expect(ended).toContain('<b class="what">ceremony-ended</b>');
});
