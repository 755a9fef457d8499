import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { retentionDecisions, type RetentionInput } from '../../activities/ops/backup-retention';

const TODAY = Date.UTC(2026, 11, 6);
const daysAgo = (n: number) => new Date(TODAY - n * 86_400_000);
const label = (partition: string, age: number, tag = `c${age}`) =>
  ceremonyBackupLabel('hsm-weu-1', partition, tag, daysAgo(age));
const decide = (backups: { label: string; objects: number }[], extra: Partial<RetentionInput> = {}) =>
  Object.fromEntries(
    retentionDecisions({
      hsm: 'hsm-weu-1',
      partition: 'payments',
      backups,
      sourceObjects: 42,
      retentionDays: 30,
      today: TODAY,
      ...extra,
    }).map((d) => [d.label, [d.delete, d.reason]]),
  );

test('past the retention goes, within it stays; the newest complete backup stays whatever its age; an empty or partial newer one does not count as complete; backups of other partitions and other names are not touched', () => {
  const backups = [
    { label: label('payments', 3), objects: 41 }, // partial: not complete, but within the retention
    { label: label('payments', 40), objects: 42 }, // the newest complete one, past the retention
    { label: label('payments', 35), objects: 0 }, // empty (a domain mismatch leaves one)
    { label: label('payments', 90), objects: 42 },
    { label: label('tokens', 400), objects: 7 },
    { label: 'hand-made-backup', objects: 42 },
  ];
  expect(decide(backups)).toEqual({
    [label('payments', 3)]: [false, 'within the retention (3 days old, kept 30)'],
    [label('payments', 35)]: [true, 'past the retention (35 days old, kept 30)'],
    [label('payments', 40)]: [false, 'the newest complete backup of payments'],
    [label('payments', 90)]: [true, 'past the retention (90 days old, kept 30)'],
  });
});

test('the newest backup a drill proved restorable stays, though older than the newest complete one and past the retention; an older proven one does not', () => {
  const backups = [
    { label: label('payments', 1), objects: 42 },
    { label: label('payments', 50), objects: 42 },
    { label: label('payments', 70), objects: 42 },
  ];
  const proof = { verified: [], provenLabels: [label('payments', 70), label('payments', 50)] };
  expect(decide(backups, { proof })).toEqual({
    [label('payments', 1)]: [false, 'the newest complete backup of payments'],
    [label('payments', 50)]: [false, 'the newest backup of payments a drill proved restorable'],
    [label('payments', 70)]: [true, 'past the retention (70 days old, kept 30)'],
  });
});

test('a backup a backup ceremony verified complete counts as complete though the partition has changed since (or is gone); with none known complete nothing of the partition goes', () => {
  const backups = [
    { label: label('payments', 60), objects: 40 },
    { label: label('payments', 80), objects: 40 },
  ];
  expect(
    decide(backups, {
      sourceObjects: undefined,
      proof: { verified: [{ label: label('payments', 80), objects: 40 }], provenLabels: [] },
    }),
  ).toEqual({
    [label('payments', 60)]: [true, 'past the retention (60 days old, kept 30)'],
    [label('payments', 80)]: [false, 'the newest complete backup of payments'],
  });
  expect(decide(backups, { sourceObjects: 43 })).toEqual({
    [label('payments', 60)]: [
      false,
      'past the retention (60 days old), but no backup of payments is known complete: nothing of it is deleted',
    ],
    [label('payments', 80)]: [
      false,
      'past the retention (80 days old), but no backup of payments is known complete: nothing of it is deleted',
    ],
  });
});
