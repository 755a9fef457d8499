import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { historyFromExport } from '../../audit/verifier/history-shape';
import { verifyHistories } from '../../audit/tooling/verify';
import { SECRETS } from '../support/simulated-hsm';

// A ceremony recorded by the code before short reads ran as local activities (commit 077580d):
// gate, hsm.show, partition.create, partition.present, hsm.show on the simulated appliance, its
// policy check and every step an activity. The current code replays it as it ran: the workflow
// takes the `patched('local-activities')` branch only in histories made after the change.

const dir = join(__dirname, '..', 'fixtures', 'histories', 'before-local-activities');
const file = join(dir, 'ceremony-test-BEFORE-LOCAL-1.json');

test('a history from before local activities replays with the current code, and every check holds', async () => {
  const [verdict] = await verifyHistories([dir], { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE });
  expect(verdict).toMatchObject({ ok: true, replayed: true, violations: [], outcome: 'completed' });
  expect(verdict.checks.find((c) => c.check === 'replay with the current code')?.status).toBe('held');
});

test('its policy check and its reads are activities in it, as the audit reads them', async () => {
  const text = readFileSync(file, 'utf8');
  expect(text).not.toContain('core_local_activity');
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  const events = await auditEvents(parseHistoryJson(historyFromExport(JSON.parse(text))));
  const runs = events.filter((e) => e.activity && e.activity.type !== 'notify' && e.activity.type !== 'ticketComment');
  expect(
    runs.map((e) => [
      e.activity!.type,
      (e.activity!.input as { stepId?: string }).stepId ?? '',
      Boolean(e.activity!.local),
    ]),
  ).toEqual([
    ['checkPolicy', '', false],
    ['hsm.show', 'show', false],
    ['partition.create', 'create', false],
    ['partition.present', 'present', false],
    ['hsm.show', 'show-again', false],
  ]);
});
