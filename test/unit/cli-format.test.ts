import { formatPlan, formatStatus, formatTimeline, formatVerifySummary, verifySummary } from '../../cli/format';
import type { VerifyResult } from '../../audit/tooling/verify';
import type { Plan } from '../../ceremonies/plan';
import type { CeremonyStatus, TimelineEvent } from '../../workflows/messages';
import { testPlan } from '../support/harness';

// A reason crafted to clear the screen, fake a timeline line and carry markup.
const CRAFTED = 'fine\u001b[2J\n 99  2026-01-01T00:00:00.000Z  approved  mallory@example.com <script>x</script>\u202e';
const SHOWN = 'fine\\x1b[2J\\n 99  2026-01-01T00:00:00.000Z  approved  mallory@example.com <script>x</script>\\u202e';
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const event = (seq: number, over: Partial<TimelineEvent>): TimelineEvent => ({
  seq,
  at: '2026-01-01T00:00:00.000Z',
  type: 'ceremony-started',
  actor: 'dave@example.com',
  detail: 'plan started',
  ...over,
});

test('the timeline shows a crafted reason escaped, one line per event', () => {
  const text = formatTimeline([
    event(1, {}),
    event(2, { type: 'cancel-requested', actor: `eve\u001b[1A@example.com`, detail: `cancel: ${CRAFTED}` }),
    event(3, { type: 'ceremony-ended', detail: 'cancelled' }),
  ]);
  const lines = text.split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain(`cancel: ${SHOWN}`);
  expect(lines[1]).toContain('eve\\x1b[1A@example.com');
  expect(text).not.toMatch(RAW_CONTROL);
});

test('status and plan show crafted titles, errors and reasons escaped', () => {
  // built past the plan schema, as a history written before any validation would hold it
  const valid = testPlan([{ id: 'check', type: 'check', title: 'Check', op: 'ledger.require', args: { key: 'k' } }]);
  const plan: Plan = {
    ...valid,
    title: 'Rotate\nfake line',
    steps: [{ ...valid.steps[0], title: 'Check\u001b[2J', args: { key: 'k\u202e' } } as Plan['steps'][number]],
  };
  const status: CeremonyStatus = {
    ceremonyId: 'ceremony-test-1',
    kind: 'rehearsal',
    title: plan.title,
    hsm: 'hsm-test',
    ticket: plan.ticket,
    requester: plan.requester,
    planDigest: 'a'.repeat(64),
    phase: 'cancelled',
    currentStep: null,
    decisions: [
      {
        gate: 'approve',
        actor: 'alice@example.com',
        decision: 'reject',
        planDigest: 'a'.repeat(64),
        at: '2026-01-01T00:00:00.000Z',
        via: 'cli',
        reason: CRAFTED,
        nonce: 'n'.repeat(22),
        signedAt: '2026-01-01T00:00:00.000Z',
        signature: { alg: 'ed25519', publicKey: 'ed25519:x', value: 'y' },
      },
    ],
    steps: [
      {
        id: 'check',
        type: 'check',
        title: 'Check\u001b[2J',
        irreversible: false,
        status: 'failed',
        attempts: 1,
        error: CRAFTED,
      },
    ],
    cancellable: false,
  };
  const shownStatus = formatStatus(status);
  expect(shownStatus).toContain('  Rotate\\nfake line');
  expect(shownStatus).toContain(`error: ${SHOWN}`);
  expect(shownStatus).not.toMatch(RAW_CONTROL);
  expect(shownStatus.split('\n')).toHaveLength(7);

  const shownPlan = formatPlan(plan, 'a'.repeat(64));
  expect(shownPlan.split('\n')[0]).toBe('Rotate\\nfake line');
  expect(shownPlan).toContain('[check] Check\\x1b[2J');
  expect(shownPlan).toContain('\\u202e');
  expect(shownPlan).not.toMatch(RAW_CONTROL);
});

test('a verdict shows what the history says (ceremony id, kind, details) escaped, in the table and in the lines', () => {
  const result = (file: string, ok: boolean): VerifyResult => ({
    file,
    ceremonyId: `ceremony-x\u001b[2J`,
    kind: 'rehearsal\nFAKE',
    hsm: 'hsm-test',
    outcome: 'completed',
    ok,
    checks: [
      {
        check: 'decision signatures',
        status: ok ? 'held' : 'failed',
        detail: ok ? undefined : `events 7: approve by ${CRAFTED}`,
      },
    ],
    problems: [],
    violations: [],
    notes: [],
    replayed: true,
  });
  const one = formatVerifySummary(verifySummary([result('/a/one.json', false)]));
  expect(one.split('\n')).toHaveLength(3);
  expect(one).toContain(SHOWN);
  expect(one).not.toMatch(RAW_CONTROL);
  const folder = formatVerifySummary(verifySummary([result('/a/one.json', true), result('/a/two.json', false)]));
  expect(folder.split('\n')).toHaveLength(8); // header, two rows, blank, what failed (2 lines), blank, the count
  expect(folder).toContain(SHOWN);
  expect(folder).not.toMatch(RAW_CONTROL);
  expect(folder.split('\n').at(-1)).toBe('2 histories: 1 verified, 1 failed');
});
