/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- the @ts-expect-error lines below must not compile; the lint reads their erroring types as any */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { createActivities } from '../../activities';
import {
  acceptedUpdates,
  activityRuns,
  auditEvents,
  parseHistoryJson,
  type ActivityRun,
} from '../../audit/verifier/history';
import { historyFromExport } from '../../audit/verifier/history-shape';
import type { OperationName } from '../../ceremonies/operations';
import type { Activities, ActivityName, OperationEvidence } from '../../contract/activities';
import { CEREMONY_WORKFLOW, UPDATE_NAMES, type UpdateName } from '../../contract/messages';
import { TIMELINE_TYPES, type TimelineType } from '../../contract/timeline';
import type * as workflows from '../../workflows';
import { approveUpdate, cancelUpdate, type CeremonyOutcome } from '../../workflows/messages';
import type { ceremonyWorkflow } from '../../workflows/ceremony';

// The contract between the layers (contract/): what a rename breaks. The `@ts-expect-error` lines
// are checked by `tsc -p tsconfig.json` (this file is part of it): each must be an error, or the
// compile fails. The tests below check that the histories we keep use only the contract's names.

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// the worker registers exactly the contract's activities, each typed by its name
const registered: Equal<keyof ReturnType<typeof createActivities>, ActivityName> = true;
const typedByName: Equal<ReturnType<typeof createActivities>['backup.verify'], Activities['backup.verify']> = true;
// the child ceremony runs the workflow the worker exports under that name, returning its outcome
const workflowName: keyof typeof workflows = CEREMONY_WORKFLOW;
const childResult: Equal<Awaited<ReturnType<typeof ceremonyWorkflow>>, CeremonyOutcome> = true;
void [registered, typedByName, workflowName, childResult];

export function misspelt(evidence: OperationEvidence<'backup.verify'>, run: ActivityRun): unknown[] {
  return [
    // @ts-expect-error a misspelt operation is no activity
    null as unknown as Activities['backup.verfy'],
    // @ts-expect-error nor an operation name
    'backup.verfy' satisfies OperationName,
    // @ts-expect-error a misspelt side activity
    null as unknown as Activities['ticketComent'],
    // @ts-expect-error a misspelt timeline type
    'step-succeded' satisfies TimelineType,
    // @ts-expect-error a misspelt update
    'aprove' satisfies UpdateName,
    // @ts-expect-error a field a backup's verified state does not have
    evidence.verify.backupObject,
    // @ts-expect-error an operation's evidence names its operation
    { ...evidence, op: 'restore.verify' } satisfies OperationEvidence<'backup.verify'>,
    // a decoded run is typed by its name
    run.kind === 'operation' && run.name === 'restore.verify' ? run.result?.verify.restoredObjects : undefined,
    // @ts-expect-error ...and a misspelt name narrows to nothing
    run.kind === 'operation' && run.name === 'restore.verfy' ? run : undefined,
  ];
}

test('the update definitions carry the contract names', () => {
  expect([approveUpdate.name, cancelUpdate.name]).toEqual(['approve', 'cancel']);
  expect(new Set(UPDATE_NAMES).size).toBe(UPDATE_NAMES.length);
  expect(new Set(TIMELINE_TYPES).size).toBe(TIMELINE_TYPES.length);
});

const FIXTURES = join(__dirname, '../fixtures/histories');
const files = [
  join(FIXTURES, 'rehearsal.json'),
  ...readdirSync(join(FIXTURES, 'before-local-activities'))
    .filter((f) => f.endsWith('.json') && !f.endsWith('.manifest.json'))
    .map((f) => join(FIXTURES, 'before-local-activities', f)),
];

test.each(files)('the recorded history %s uses only activity and update names the contract knows', async (file) => {
  const events = await auditEvents(parseHistoryJson(historyFromExport(JSON.parse(readFileSync(file, 'utf8')))));
  const runs = activityRuns(events);
  expect(runs.length).toBeGreaterThan(0);
  expect(runs.filter((r) => r.kind === 'unknown').map((r) => r.name)).toEqual([]);
  expect(
    acceptedUpdates(events)
      .filter((u) => u.kind === 'unknown')
      .map((u) => u.name),
  ).toEqual([]);
});
