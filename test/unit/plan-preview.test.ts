import { readFileSync } from 'node:fs';
import { buildPlan } from '../../ceremonies/build-plan';
import { loadInventory } from '../../ceremonies/inventory';
import { formatPlan } from '../../cli/format';
import { cli } from '../support/cli';
import { GOLDEN_INVENTORY, goldenFile, goldenPreviewArgv, goldenRequest } from '../support/golden';

// `ceremony plan --preview` builds and checks a plan as `ceremony start` would, and needs no
// Temporal: nothing listens on this address.
beforeAll(() => {
  process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
  process.env.CEREMONY_INVENTORY = GOLDEN_INVENTORY;
});

test('--json prints what the golden file holds', async () => {
  const r = await cli('--json', ...goldenPreviewArgv('firmware-upgrade'));
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(r.out).toBe(readFileSync(goldenFile('firmware-upgrade'), 'utf8').trimEnd());
});

test('the human text is the plan with its digest, as `ceremony plan <id>` shows it', async () => {
  const { plan, digest } = buildPlan(goldenRequest('backup'), loadInventory(GOLDEN_INVENTORY));
  const r = await cli(...goldenPreviewArgv('backup'));
  expect(r).toEqual({ code: 0, out: formatPlan(plan, digest), err: '' });
});

test('without --ticket and --requester, the preview says whose plan it assumed', async () => {
  const r = await cli('--json', 'plan', '--preview', 'rehearsal', '--hsm', 'hsm-weu-1');
  expect(r.code).toBe(0);
  const { plan, planDigest } = JSON.parse(r.out);
  expect(plan).toMatchObject({ ticket: 'preview:PLAN', requester: 'requester@example.com' });
  expect(planDigest).toBe(
    buildPlan(
      { kind: 'rehearsal', hsm: 'hsm-weu-1', ticket: 'preview:PLAN', requester: 'requester@example.com' },
      loadInventory(GOLDEN_INVENTORY),
    ).digest,
  );
});

test("invalid input is refused with the plan builder's message, exit 1", async () => {
  const bad = {
    kind: 'partition-create',
    hsm: 'hsm-weu-1',
    ticket: 'preview:PLAN',
    requester: 'requester@example.com',
    params: { partition: 'p1; hsm zeroize', client: 'app01', clientHost: 'app01.example.com' },
  } as const;
  const expected = (() => {
    try {
      buildPlan(bad, loadInventory(GOLDEN_INVENTORY));
    } catch (err) {
      return (err as Error).message;
    }
  })();
  expect(expected).toMatch(/partition: expected 1-32 letters/);
  const r = await cli(
    'plan',
    '--preview',
    bad.kind,
    '--hsm',
    bad.hsm,
    ...Object.entries(bad.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  );
  expect(r).toEqual({ code: 1, out: '', err: expected });
});

test.each([
  [['plan'], /name a ceremony id, or --preview <kind>/],
  [['plan', 'ceremony-jira-OPS-1', '--preview', 'rehearsal', '--hsm', 'hsm-weu-1'], /not both/],
  [['plan', 'ceremony-jira-OPS-1', '--hsm', 'hsm-weu-1'], /--hsm: only with --preview <kind>, not with a ceremony id/],
  [['plan', '--preview', 'rehearsal'], /'--hsm <ref>' not specified with --preview/],
])('ceremony %j is refused', async (argv, says) => {
  const r = await cli(...argv);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(says);
});
