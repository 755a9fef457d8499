import { createServer, type IncomingMessage, type Server } from 'node:http';
import { genericAdapter, jiraAdapter, serviceNowAdapter } from '../../activities/tickets/adapters';
import { ticketRequest } from '../../ceremonies/tickets';

// The adapters against small HTTP endpoints shaped like each system's REST API: the requests they
// send (method, path, auth, body) are what the real systems expect.

interface Seen {
  method: string;
  url: string;
  auth?: string;
  body?: unknown;
}

async function stub(
  handler: (req: Seen) => { status: number; body?: unknown },
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const entry: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      seen.push(entry);
      const { status, body } = handler(entry);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
}

test('Jira: comments through /rest/api/2/issue/{key}/comment with basic auth', async () => {
  const s = await stub((r) =>
    r.method === 'GET' ? { status: 200, body: { comments: [{ body: 'earlier' }] } } : { status: 201, body: {} },
  );
  try {
    const jira = jiraAdapter(s.url, 'bot@example.com', 'api-token');
    expect(await jira.comments('OPS-1')).toEqual(['earlier']);
    await jira.post('OPS-1', 'hello');
    expect(s.seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/rest/api/2/issue/OPS-1/comment?maxResults=1000', undefined],
      ['POST', '/rest/api/2/issue/OPS-1/comment', { body: 'hello' }],
    ]);
    expect(s.seen[0].auth).toBe(`Basic ${Buffer.from('bot@example.com:api-token').toString('base64')}`);
  } finally {
    s.server.close();
  }
});

test('ServiceNow: work notes on the change request found by its number', async () => {
  const s = await stub((r) =>
    r.url.startsWith('/api/now/table/change_request?')
      ? { status: 200, body: { result: [{ sys_id: 'abc123' }] } }
      : r.url.startsWith('/api/now/table/sys_journal_field')
        ? { status: 200, body: { result: [{ value: 'note 1' }] } }
        : { status: 200, body: { result: {} } },
  );
  try {
    const snow = serviceNowAdapter(s.url, 'svc', 'pw');
    expect(await snow.comments('CHG0031337')).toEqual(['note 1']);
    await snow.post('CHG0031337', 'progress');
    expect(s.seen.at(-1)).toMatchObject({
      method: 'PATCH',
      url: '/api/now/table/change_request/abc123',
      body: { work_notes: 'progress' },
    });
  } finally {
    s.server.close();
  }
});

test('generic: a 4xx refusal is reported with the status', async () => {
  const s = await stub(() => ({ status: 403 }));
  try {
    await expect(genericAdapter(s.url, 'tok').comments('T-1')).rejects.toThrow(
      'GET /tickets/T-1/comments answered 403',
    );
    expect(s.seen[0].auth).toBe('Bearer tok');
  } finally {
    s.server.close();
  }
});

test('ticket payloads map to requests; a re-run gets its own ticket reference', () => {
  expect(
    ticketRequest('generic', {
      ticket: 'T-9',
      kind: 'backup',
      hsm: 'hsm-weu-1',
      requester: 'Dave@Example.com',
      params: { partitions: 'p1' },
      run: 3,
    }).mapping?.request,
  ).toEqual({
    kind: 'backup',
    hsm: 'hsm-weu-1',
    ticket: 'generic:T-9.r3',
    requester: 'Dave@Example.com',
    params: { partitions: 'p1' },
  });
  expect(
    ticketRequest('generic', { ticket: 'T 9; rm', kind: 'backup', hsm: 'h', requester: 'a@b.c' }).problems?.[0],
  ).toMatch(/^ticket: expected a ticket key/);
});
