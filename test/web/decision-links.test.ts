import { createLinkToken } from '../../ceremonies/approval-links';
import { redactUrl } from '../../web/server';
import { APPROVERS, gate, OPERATOR, record, REQUESTER, result, testPlan, waitForStatus } from '../support/harness';
import { startWebEnv, type WebEnv } from '../support/web-env';

let env: WebEnv;
beforeAll(async () => {
  env = await startWebEnv('links');
});
afterAll(async () => {
  await env?.close();
});

const [alice, bob, carol] = APPROVERS;

async function openCeremony(after: Parameters<typeof testPlan>[0] = [record('effect')]) {
  const id = await env.h.start(testPlan([gate(), ...after]));
  const status = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const mails = await Promise.all(
    APPROVERS.map((a) => env.mail.waitFor((m) => m.to.includes(a) && m.headers['x-ceremony-id'] === id)),
  );
  const links = Object.fromEntries(mails.map((m) => [m.to[0], env.linkIn(m)]));
  return { id, digest: status.planDigest, links, mails };
}

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** POST the form the page rendered (with its form token), as a browser would. */
async function decide(link: string, fields: Record<string, string>, formOverride?: string) {
  const page = await get(link);
  const form = formOverride ?? /name="form" value="([^"]+)"/.exec(page.body)?.[1] ?? 'none';
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ form, ...fields }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

function mint(
  id: string,
  digest: string,
  approver: string,
  overrides: Partial<{ exp: number; digest: string; gate: string }> = {},
) {
  return `${env.baseUrl}/decide/${createLinkToken(env.keys, { kind: 'approval', ceremonyId: id, gate: 'approve', approver, digest, exp: Math.floor(Date.now() / 1000) + 600, ...overrides }).token}`;
}

test('the approval mail has a plain-text and an HTML part, the plan digest and a personal link, and no secret', async () => {
  const { digest, mails } = await openCeremony();
  for (const m of mails) {
    expect(m.subject).toMatch(/Gate approve: your decision is requested/);
    expect(m.text).toContain(`Plan digest (sha256): ${digest}`);
    expect(m.html).toContain('Review the plan and decide');
    expect(m.html).toContain(digest);
    expect(m.text + m.html).not.toContain(env.keys.keys[0][1].toString('base64'));
  }
  expect(new Set(mails.map((m) => env.linkIn(m))).size).toBe(3);
});

test('a plain GET of every link (as a mail scanner would) changes nothing', async () => {
  const { id, links } = await openCeremony();
  const before = await env.h.ceremonies.status(id);
  for (const link of Object.values(links)) {
    for (let i = 0; i < 3; i++) {
      const page = await get(link);
      expect(page.status).toBe(200);
      expect(page.body).toContain(before.planDigest);
    }
  }
  const after = await env.h.ceremonies.status(id);
  expect(after.decisions).toEqual([]);
  expect(after).toEqual(before);
  // the links still work afterwards
  expect((await decide(links[alice], { decision: 'approve' })).status).toBe(200);
});

describe('refusals are clear pages with the right status, and change nothing', () => {
  let id: string;
  let digest: string;
  let links: Record<string, string>;
  beforeAll(async () => {
    ({ id, digest, links } = await openCeremony());
  });

  async function expectRefused(response: Promise<{ status: number; body: string }>, status: number, text: RegExp) {
    const before = await env.h.ceremonies.status(id);
    const r = await response;
    expect(r.status).toBe(status);
    expect(r.body).toMatch(text);
    expect(r.body).toContain('Nothing was changed');
    const after = await env.h.ceremonies.status(id);
    expect(after.decisions).toEqual(before.decisions);
    expect(after.phase).toBe(before.phase);
  }

  test('forged or tampered token', async () => {
    const [body, sig] = links[alice].split('/decide/')[1].split('.');
    const tampered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), approver: carol }),
    ).toString('base64url');
    await expectRefused(get(`${env.baseUrl}/decide/${tampered}.${sig}`), 403, /forged or has been altered/);
    await expectRefused(
      decide(`${env.baseUrl}/decide/${body}.${sig.slice(0, -2)}AA`, { decision: 'approve' }, 'x'),
      403,
      /forged or has been altered/,
    );
    await expectRefused(get(`${env.baseUrl}/decide/garbage`), 400, /malformed/);
  });

  test('expired link', async () => {
    await expectRefused(
      get(mint(id, digest, alice, { exp: Math.floor(Date.now() / 1000) - 1 })),
      410,
      /this link expired at/,
    );
  });

  test("approver not in the gate's group, and the requester approving their own ceremony", async () => {
    await expectRefused(
      get(mint(id, digest, 'mallory@example.com')),
      403,
      /mallory@example.com is not an approver of this gate/,
    );
    await expectRefused(
      decide(mint(id, digest, 'mallory@example.com'), { decision: 'approve' }, 'x'),
      403,
      /did not come from the page/,
    );
    await expectRefused(get(mint(id, digest, REQUESTER)), 403, /requested this ceremony and cannot approve it/);
  });

  test('plan digest changed', async () => {
    await expectRefused(get(mint(id, 'b'.repeat(64), alice)), 409, /the plan changed since this link was sent/);
  });

  test("a POST without the page's form token (CSRF)", async () => {
    await expectRefused(decide(links[alice], { decision: 'approve' }, 'forged-form-token'), 403, /CSRF/);
  });

  test('a link used twice, a gate already closed, a ceremony finished', async () => {
    // its own ceremony, which pauses after the gate so "closed" and "finished" can be told apart
    const c = await openCeremony([{ id: 'pause', type: 'wait', title: 'Pause', duration: '1h' }]);
    const check = async (response: Promise<{ status: number; body: string }>, status: number, text: RegExp) => {
      const before = await env.h.ceremonies.status(c.id);
      const r = await response;
      expect([r.status, r.body.match(text)?.[0]]).toEqual([status, expect.any(String)]);
      expect((await env.h.ceremonies.status(c.id)).decisions).toEqual(before.decisions);
    };
    expect((await decide(c.links[alice], { decision: 'approve' })).body).toContain('1 of 2 approvals');
    await check(get(c.links[alice]), 409, /already been used/);
    const bobsPage = await get(c.links[bob]);
    expect((await decide(c.links[bob], { decision: 'approve' })).body).toContain('quorum reached');
    await waitForStatus(env.h.ceremonies, c.id, (s) => s.phase === 'waiting');
    await check(get(c.links[carol]), 409, /is not open \(the ceremony is waiting\)/);
    // bob's form posted a second time is refused by the workflow itself
    const form = /name="form" value="([^"]+)"/.exec(bobsPage.body)![1];
    await check(decide(c.links[bob], { decision: 'approve' }, form), 409, /already been used|already closed/);
    await env.h.ceremonies.cancel(c.id, { by: REQUESTER, reason: 'test done' });
    await result(env.h.ceremonies, c.id);
    await check(get(c.links[carol]), 409, /has already ended \(cancelled\)/);
  });
});

test('a reject needs a reason, and ends the ceremony', async () => {
  const { id, links } = await openCeremony();
  const empty = await decide(links[carol], { decision: 'reject', reason: ' ' });
  expect(empty.status).toBe(400);
  expect((await env.h.ceremonies.status(id)).decisions).toEqual([]);
  // the reason is a text area: line breaks are fine
  expect(
    (await decide(links[carol], { decision: 'reject', reason: 'not in this change window\r\nsee CHG-1' })).body,
  ).toContain('Your rejection is recorded');
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('rejected');
  expect(final.decisions[0].reason).toBe('not in this change window\r\nsee CHG-1');
});

describe('a reject reason without visible text, or with control characters, is refused before it reaches the workflow', () => {
  let id: string;
  let links: Record<string, string>;
  beforeAll(async () => {
    ({ id, links } = await openCeremony());
  });

  test.each([
    ['empty', '', 'must contain visible text'],
    ['only spaces and line breaks', '  \n\t ', 'must contain visible text'],
    ['only a zero-width space', '\u200b', 'must contain visible text'],
    ['an escape sequence', 'no\u001b[2J', 'must not contain control characters (found U+001B)'],
    ['NUL', 'no\u0000', 'must not contain control characters (found U+0000)'],
    ['DEL', 'no\u007f', 'must not contain control characters (found U+007F)'],
    ['a bidi isolate', 'no\u2067', 'must not contain control characters (found U+2067)'],
  ])('%s', async (_name, reason, problem) => {
    const before = await env.h.ceremonies.status(id);
    const refused = await decide(links[carol], { decision: 'reject', reason });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(`the reason ${problem}`);
    expect(refused.body).toContain('Nothing was changed');
    expect(await env.h.ceremonies.status(id)).toEqual(before);
  });

  test('afterwards the link still works', async () => {
    expect((await decide(links[carol], { decision: 'approve' })).body).toContain('1 of 2 approvals');
    await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'test done' });
  });
});

test('the decision endpoints are rate limited', async () => {
  const limited = await startWebEnv('ratelimit', { rateLimit: 5 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${limited.baseUrl}/decide/garbage`)).status);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  } finally {
    await limited.close();
  }
});

test('a mail server that is down delays no step: the ceremony goes on and the mail is retried until delivered', async () => {
  env.mail.failNext(2);
  const id = await env.h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  // approvers decide by other means while the mail server refuses mail
  await env.h.ceremonies.approve(id, { gate: 'approve', approver: alice, planDigest: open.planDigest });
  await env.h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: open.planDigest });
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');
  const requested = env.mail.mails.filter(
    (m) => m.headers['x-ceremony-id'] === id && m.headers['x-ceremony-notification'] === 'approval-requested',
  );
  expect(requested.map((m) => m.to[0]).sort()).toEqual([...APPROVERS].sort());
  expect((await env.h.ceremonies.timeline(id)).some((e) => e.type === 'notification-failed')).toBe(false);
});

test('a delivery failing mid-batch is retried without mailing again those who already got it', async () => {
  env.mail.failNext(1, { after: 1 }); // the first approver's mail goes through, the second fails once
  const id = await env.h.start(testPlan([gate(), record('effect')]));
  for (const approver of APPROVERS)
    await env.mail.waitFor((m) => m.headers['x-ceremony-id'] === id && m.to.includes(approver));
  // mails go out in order alice, bob, carol: a duplicate of alice's from the retry would be in by now
  const requested = env.mail.mails.filter(
    (m) => m.headers['x-ceremony-id'] === id && m.headers['x-ceremony-notification'] === 'approval-requested',
  );
  expect(requested.map((m) => m.to[0])).toEqual(APPROVERS);
  await env.h.ceremonies.cancel(id, { by: OPERATOR, reason: 'mail drill only' });
});

test('an external signer signs off through their mailed link, giving their reference', async () => {
  const signer = 'hsmrequest@microsoft.example';
  const id = await env.h.start(
    testPlan([
      {
        id: 'microsoft',
        type: 'signoff',
        title: 'Microsoft signs off',
        signer: 'Microsoft',
        contacts: [signer],
        deadline: '1h',
      },
      record('effect'),
    ]),
  );
  const mail = await env.mail.waitFor((m) => m.to.includes(signer) && m.headers['x-ceremony-id'] === id);
  expect(mail.headers['x-ceremony-notification']).toBe('signoff-requested');
  const link = env.linkIn(mail);
  expect((await get(link)).body).toContain("Microsoft's reference");
  expect((await decide(link, { decision: 'approve' })).status).toBe(400); // a sign-off link cannot approve
  expect((await decide(link, { decision: 'signoff', reference: 'MS case 2611290010001234' })).body).toContain(
    'Your sign-off is recorded',
  );
  const final = await result(env.h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions).toMatchObject([
    { gate: 'microsoft', actor: signer, decision: 'signoff', reference: 'MS case 2611290010001234', via: 'email-link' },
  ]);
});

test('request logs never show a decision token', () => {
  expect(redactUrl('/decide/eyJ2IjoxfQ.c2ln?x=1')).toBe('/decide/<token>');
  expect(redactUrl('/ceremonies/ceremony-jira-OPS-1')).toBe('/ceremonies/ceremony-jira-OPS-1');
});
