import { buildWebServer } from '../../web/server';
import { APPROVERS, gate, record, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('web');
});
afterAll(async () => {
  await h?.stop();
});

test('the dashboard lists ceremonies and a ceremony page shows its gate, steps and timeline, escaped', async () => {
  const plan = testPlan([gate(), record('effect')], { title: 'Rotate <script>alert(1)</script> keys' });
  const id = await h.start(plan);
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  await h.ceremonies.approve(id, {
    gate: 'approve',
    approver: APPROVERS[0],
    planDigest: open.planDigest,
    comment: '<b>ok</b>',
  });
  const app = await buildWebServer({ ceremonies: h.ceremonies });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { statusCode: res.status, body: await res.text() };
  };
  const json = (r: { body: string }) => JSON.parse(r.body);
  try {
    // visibility is eventually consistent: poll the list until the new ceremony shows
    let list = await get('/');
    for (let i = 0; i < 50 && !list.body.includes(id); i++) {
      await new Promise((r) => setTimeout(r, 100));
      list = await get('/');
    }
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/ceremonies/${id}"`);
    expect(list.body).toContain('awaiting-approval');

    const filtered = await get('/?kind=rehearsal&phase=awaiting-approval');
    expect(filtered.body).toContain(`href="/ceremonies/${id}"`);
    expect((await get("/?phase=completed'%20OR%20'1'='1")).statusCode).toBe(400); // only known phases reach the visibility query
    expect((await get('/?kind=&hsm=&phase=')).statusCode).toBe(200); // the filter form's empty fields mean "all"
    expect((await get('/?phase=completed')).body).not.toContain(`href="/ceremonies/${id}"`);
    const detail = await get(`/ceremonies/${id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain(open.planDigest);
    expect(detail.body).toContain('1 of 2 approvals (alice@example.com)');
    expect(detail.body).toContain('Rotate &lt;script&gt;alert(1)&lt;/script&gt; keys');
    expect(detail.body).not.toContain('<script>');
    expect(detail.body).toContain('&lt;b&gt;ok&lt;/b&gt;');

    const api = await get(`/api/ceremonies/${id}`);
    expect(json(api)).toMatchObject({ status: { ceremonyId: id, phase: 'awaiting-approval' } });

    expect((await get('/ceremonies/nope-not-there')).statusCode).toBe(404);
    expect(json(await get('/api/ceremonies/nope-not-there'))).toEqual({ error: 'no ceremony nope-not-there' });
    expect((await get('/ceremonies/bad%20id%3Cx%3E')).statusCode).toBe(400);
  } finally {
    await app.close();
    await h.ceremonies.cancel(id, { by: plan.requester, reason: 'test done' });
  }
});
