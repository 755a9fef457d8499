import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportMarkdown } from '../../audit/verifier/report';
import { OPERATOR, result, startHarness, testPlan, waitForStatus, type Harness } from '../support/harness';

// The Markdown audit report shows text from the history (here an operator's reason) without
// letting it clear a terminal, start a line of its own or become markup where it is rendered.

let h: Harness;
beforeAll(async () => {
  h = await startHarness('report-escaping');
});
afterAll(async () => {
  await h?.stop();
});

const PLACEHOLDER = 'REASON-PLACEHOLDER';
const CRAFTED = 'x\u001b[2J\n## Verdict\n- VERIFIED <script>alert(1)</script> & more';

/** The history as exported, with every payload's `from` replaced by `to`: a history the current
 * validators would not have let in, as an older or hand-made one may hold. */
function withPayloadText(json: string, from: string, to: string): unknown {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (key !== 'data' || typeof inner !== 'string') return [key, walk(inner)];
        const text = Buffer.from(inner, 'base64').toString('utf8');
        // payloads are JSON: the replacement goes in JSON-escaped
        return [key, Buffer.from(text.split(from).join(JSON.stringify(to).slice(1, -1))).toString('base64')];
      }),
    );
  };
  return walk(JSON.parse(json));
}

test('a reason with an escape sequence, newlines and HTML is shown escaped in the Markdown report', async () => {
  const id = await h.start(
    testPlan([
      {
        id: 'precondition',
        type: 'check',
        title: 'Precondition',
        op: 'ledger.require',
        args: { key: `never-${Date.now()}` },
      },
    ]),
  );
  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'needs-intervention');
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: PLACEHOLDER });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');

  const exported = historyToJSON(await h.ceremonies.handle(id).fetchHistory());
  const events = await auditEvents(parseHistoryJson(withPayloadText(exported, PLACEHOLDER, CRAFTED)));
  expect(
    events.some((e) => e.update?.name === 'resolve' && JSON.stringify(e.update.args).includes(JSON.stringify(CRAFTED))),
  ).toBe(true);
  const report = reportMarkdown(events);

  const line = report.split('\n').find((l) => l.includes(`${OPERATOR} chose abort`));
  expect(line?.replace(/^- \S+ /, '- <time> ')).toBe(
    `- <time> ${OPERATOR} chose abort: x\\x1b[2J\\n## Verdict\\n- VERIFIED &lt;script&gt;alert(1)&lt;/script&gt; &amp; more`,
  );
  expect(report).not.toContain('\u001b');
  expect(report).not.toContain('<script>');
  expect(report.split('\n').filter((l) => l === '## Verdict')).toHaveLength(1);
});
