import { provenFrom, type ClosedOutcome } from '../../activities/backup-proofs';
import { formatBackupProofs } from '../../cli/format';
import { backupsPage } from '../../web/dashboard';
import type { StepOutcome } from '../../workflows/messages';
import type { OperationName } from '../../ceremonies/operations';

// Outcomes shaped as the contract between the helpers says (CONTRACT-25 items 2 and 3): a backup
// ceremony's `verify-P` step (backup.verify) and a drill's `compare-P` step (restore.verify).

const step = (
  id: string,
  op: OperationName,
  evidence: { probe?: Record<string, unknown>; verify?: Record<string, unknown> },
  status: StepOutcome['status'] = 'succeeded',
): StepOutcome => ({
  id,
  type: 'check',
  title: id,
  irreversible: false,
  status,
  attempts: 1,
  evidence: { op, outcome: 'checked', probe: evidence.probe ?? {}, verify: evidence.verify ?? {}, commands: [] },
});

const backup = (
  ceremonyId: string,
  closedAt: string,
  backups: Record<string, [string, number]>,
  phase: ClosedOutcome['outcome']['phase'] = 'completed',
): ClosedOutcome => ({
  closedAt,
  outcome: {
    ceremonyId,
    kind: 'backup',
    hsm: 'hsm-weu-1',
    phase,
    steps: Object.entries(backups).map(([p, [label, objects]]) =>
      step(`verify-${p}`, 'backup.verify', { probe: { sourceObjects: objects, backupObjects: objects, label } }),
    ),
  },
});

const drill = (
  ceremonyId: string,
  closedAt: string,
  drilled: Record<string, { label: string; backupObjects: number; restoredObjects: number; partition?: string }>,
  phase: ClosedOutcome['outcome']['phase'] = 'completed',
): ClosedOutcome => ({
  closedAt,
  outcome: {
    ceremonyId,
    kind: 'restore-drill',
    hsm: 'hsm-weu-1',
    phase,
    steps: Object.entries(drilled).map(([p, v]) =>
      step(`compare-${p}`, 'restore.verify', { verify: { partition: p, ...v } }),
    ),
  },
});

test('the last backup and the last successful drill per partition; the newest backup is proven only when a drill restored that very label', () => {
  const proofs = provenFrom([
    backup('ceremony-b1', '2026-12-01T02:00:00Z', { payments: ['p-1201', 42], tokens: ['t-1201', 7] }),
    drill('ceremony-d1', '2026-12-02T03:00:00Z', {
      payments: { label: 'p-1201', backupObjects: 42, restoredObjects: 42 },
      tokens: { label: 't-1201', backupObjects: 7, restoredObjects: 7 },
    }),
    backup('ceremony-b2', '2026-12-03T02:00:00Z', { payments: ['p-1203', 43] }),
  ]);
  expect(proofs).toEqual([
    {
      partition: 'payments',
      lastBackup: { ceremonyId: 'ceremony-b2', at: '2026-12-03T02:00:00Z', label: 'p-1203', objects: 43 },
      lastDrill: { ceremonyId: 'ceremony-d1', at: '2026-12-02T03:00:00Z', label: 'p-1201', objects: 42 },
      provenLabels: ['p-1201'],
      verified: [
        { label: 'p-1203', objects: 43 },
        { label: 'p-1201', objects: 42 },
      ],
    },
    {
      partition: 'tokens',
      lastBackup: { ceremonyId: 'ceremony-b1', at: '2026-12-01T02:00:00Z', label: 't-1201', objects: 7 },
      lastDrill: { ceremonyId: 'ceremony-d1', at: '2026-12-02T03:00:00Z', label: 't-1201', objects: 7 },
      newestProvenBy: { ceremonyId: 'ceremony-d1', at: '2026-12-02T03:00:00Z', label: 't-1201' },
      provenLabels: ['t-1201'],
      verified: [{ label: 't-1201', objects: 7 }],
    },
  ]);
});

test('a drill that failed, ended otherwise than completed, restored fewer objects or names another partition proves nothing; an aborted backup is no backup', () => {
  const failedStep: ClosedOutcome = drill('ceremony-d2', '2026-12-05T00:00:00Z', {});
  failedStep.outcome.steps = [
    step(
      'compare-payments',
      'restore.verify',
      { verify: { partition: 'payments', label: 'p-1', backupObjects: 42, restoredObjects: 42 } },
      'failed',
    ),
  ];
  const proofs = provenFrom([
    backup('ceremony-b1', '2026-12-01T00:00:00Z', { payments: ['p-1', 42] }),
    backup('ceremony-b9', '2026-12-09T00:00:00Z', { payments: ['p-9', 42] }, 'aborted'),
    drill('ceremony-d1', '2026-12-02T00:00:00Z', {
      payments: { label: 'p-1', backupObjects: 42, restoredObjects: 41 },
    }),
    failedStep,
    drill(
      'ceremony-d3',
      '2026-12-06T00:00:00Z',
      { payments: { label: 'p-1', backupObjects: 42, restoredObjects: 42 } },
      'aborted',
    ),
    drill('ceremony-d4', '2026-12-07T00:00:00Z', {
      payments: { label: 'p-1', backupObjects: 42, restoredObjects: 42, partition: 'tokens' },
    }),
  ]);
  expect(proofs).toEqual([
    {
      partition: 'payments',
      lastBackup: { ceremonyId: 'ceremony-b1', at: '2026-12-01T00:00:00Z', label: 'p-1', objects: 42 },
      provenLabels: [],
      verified: [{ label: 'p-1', objects: 42 }],
    },
  ]);
});

test('an older drill of the newest backup still proves it; the last drill is the newest, whatever label it restored', () => {
  const proofs = provenFrom([
    drill('ceremony-d2', '2026-12-04T00:00:00Z', {
      payments: { label: 'p-old', backupObjects: 40, restoredObjects: 40 },
    }),
    backup('ceremony-b1', '2026-12-01T00:00:00Z', { payments: ['p-new', 42] }),
    drill('ceremony-d1', '2026-12-02T00:00:00Z', {
      payments: { label: 'p-new', backupObjects: 42, restoredObjects: 42 },
    }),
  ]);
  expect(proofs[0].lastDrill).toMatchObject({ ceremonyId: 'ceremony-d2', label: 'p-old' });
  expect(proofs[0].newestProvenBy).toEqual({ ceremonyId: 'ceremony-d1', at: '2026-12-02T00:00:00Z', label: 'p-new' });
  expect(proofs[0].provenLabels).toEqual(['p-old', 'p-new']);
});

test('what an auditor reads: the CLI and the dashboard say "proven by drill on <date>" for a proven newest backup, "not proven" otherwise, and "never" without a drill', () => {
  const partitions = provenFrom([
    backup('ceremony-b1', '2026-12-01T02:00:00Z', {
      payments: ['p-1201', 42],
      tokens: ['t-1201', 7],
      vault: ['v-1201', 5],
    }),
    drill('ceremony-d1', '2026-12-02T03:00:00Z', {
      tokens: { label: 't-1201', backupObjects: 7, restoredObjects: 7 },
      vault: { label: 'v-1130', backupObjects: 5, restoredObjects: 5 },
    }),
  ]);
  const all = [{ hsm: 'hsm-weu-1', partitions, read: { ceremonies: 2, limit: 100, truncated: true } }];
  const lines = formatBackupProofs(all).split('\n');
  expect(lines[0]).toMatch(/^HSM\s+PARTITION\s+LAST BACKUP\s+BACKED UP\s+LAST SUCCESSFUL DRILL\s+NEWEST BACKUP$/);
  expect(lines[1]).toMatch(/^hsm-weu-1\s+payments\s+p-1201\s+2026-12-01T02:00:00Z\s+never\s+not proven$/);
  expect(lines[2]).toMatch(
    /^hsm-weu-1\s+tokens\s+t-1201\s+2026-12-01T02:00:00Z\s+2026-12-02T03:00:00Z t-1201\s+proven by drill on 2026-12-02 \(ceremony-d1\)$/,
  );
  expect(lines[3]).toMatch(/^hsm-weu-1\s+vault\s+v-1201\s+.*2026-12-02T03:00:00Z v-1130\s+not proven$/);
  expect(lines[4]).toBe('note: hsm-weu-1: only the newest 100 ceremonies of each kind were read (--limit)');
  const page = backupsPage(all);
  expect(page).toMatch(
    /<tr data-partition="hsm-weu-1\/tokens">[\s\S]*?proven by drill on 2026-12-02 \(ceremony-d1\)<\/span><\/td><\/tr>/,
  );
  expect(page).toMatch(
    /<tr data-partition="hsm-weu-1\/vault">[\s\S]*?<code>v-1130<\/code>[\s\S]*?not proven<\/span><\/td><\/tr>/,
  );
  expect(page).toContain('only the newest 100 ceremonies of each kind were read');
});
