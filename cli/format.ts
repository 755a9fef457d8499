import type { AuditManifest } from '../audit/tooling/export';
import { basename, dirname } from 'node:path';
import type { VerifyCheck, VerifyResult } from '../audit/tooling/verify';
import type { ScheduledKind, ScheduleView } from '../client/schedules';
import { provenText, type BackupProofs } from '../activities/backup-proofs';
import type { CeremonySummary, StartResult } from '../client/ceremony-client';
import type { Plan } from '../ceremonies/plan';
import type { CeremonyStatus, GateView, TimelineEvent } from '../workflows/messages';
import { escapeControl } from '../ceremonies/free-text';

// Reasons, details, titles and actors come from people: every line is shown with its control
// characters written out, so a crafted reason cannot move the cursor or fake a line.
const shown = (lines: string[]) => lines.map(escapeControl).join('\n');

const STATUS_MARK: Record<string, string> = {
  pending: '·',
  running: '▶',
  awaiting: '…',
  succeeded: '✓',
  failed: '✗',
  rejected: '✗',
  expired: '⌛',
  aborted: '■',
  cancelled: '■',
  skipped: '-',
};

export function formatStatus(s: CeremonyStatus): string {
  const lines = [
    `${s.ceremonyId}  ${s.phase.toUpperCase()}`,
    `  ${s.title}`,
    `  kind ${s.kind} · hsm ${s.hsm} · ticket ${s.ticket} · requested by ${s.requester}`,
    `  plan digest ${s.planDigest}`,
  ];
  if (s.ending) lines.push(`  ending ${s.ending}: the workflow is still sending its last notifications`);
  if (s.refusal)
    lines.push(
      s.refusedBy
        ? `  refused by the precheck "${s.refusedBy}" before any gate (nothing was asked or changed): ${s.refusal}`
        : `  refused by the worker's policy check: ${s.refusal}`,
    );
  if (s.openGate) {
    lines.push(
      `  gate "${s.openGate.id}": ${s.openGate.approvedBy.length}/${s.openGate.quorum} approvals` +
        `${s.openGate.approvedBy.length ? ` (${s.openGate.approvedBy.join(', ')})` : ''}; waiting on ${s.openGate.pending.join(', ') || 'nobody'}; deadline ${s.openGate.deadline}`,
    );
  }
  lines.push('  steps:');
  for (const step of s.steps) {
    const mark = STATUS_MARK[step.status] ?? '?';
    const extra = [
      step.irreversible ? 'irreversible' : '',
      step.attempts > 1 ? `${step.attempts} attempts` : '',
      step.evidence ? step.evidence.outcome : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `    ${mark} ${step.id.padEnd(18)} ${step.status.padEnd(10)} ${step.title}${extra ? ` (${extra})` : ''}`,
    );
    if (step.error) lines.push(`        error: ${step.error}`);
    for (const w of new Set((step.evidence?.warnings ?? []).map((w) => `${w.device}: ${w.line}`)))
      lines.push(`        device warning: ${w}`);
  }
  if (s.phase === 'needs-intervention') {
    lines.push(`  next: ceremony resolve ${s.ceremonyId} --action retry|abort --as <operator> --reason "<why>"`);
  } else if (s.openGate) {
    lines.push(
      `  next: ceremony approve ${s.ceremonyId} --gate ${s.openGate.id} --digest ${s.planDigest.slice(0, 12)} --as <approver>`,
    );
  }
  return shown(lines);
}

export function formatTimeline(events: TimelineEvent[]): string {
  return shown(
    events.map(
      (e) =>
        `${String(e.seq).padStart(3)}  ${e.at}  ${e.type.padEnd(20)} ${e.actor.padEnd(24)} ${e.step ? `[${e.step}] ` : ''}${e.detail}`,
    ),
  );
}

export function formatPlan(plan: Plan, digest: string): string {
  return shown([
    `${plan.title}`,
    `  kind ${plan.kind} · hsm ${plan.hsm} · ticket ${plan.ticket} · requester ${plan.requester}`,
    `  digest ${digest}`,
    ...plan.steps.flatMap((step, i) => {
      const detail =
        step.type === 'approval'
          ? `${step.quorum} of ${step.approvers.join(', ')}; deadline ${step.deadline}`
          : step.type === 'signoff'
            ? `${step.signer} (${step.contacts.join(', ')}); deadline ${step.deadline}`
            : step.type === 'wait'
              ? step.duration
              : step.type === 'ceremony'
                ? `child ${String(step.plan.kind)} ceremony`
                : `${step.op} ${JSON.stringify(step.args)}`;
      return [
        `  ${String(i + 1).padStart(2)}. [${step.type}] ${step.title}${step.irreversible ? ' [irreversible]' : ''}`,
        `        ${detail}`,
      ];
    }),
  ]);
}

export function formatList(rows: CeremonySummary[]): string {
  if (rows.length === 0) return 'no ceremonies';
  const header = ['CEREMONY', 'KIND', 'HSM', 'TICKET', 'PHASE', 'STARTED'];
  const body = rows.map((r) => [
    r.ceremonyId,
    r.kind ?? '-',
    r.hsm ?? '-',
    r.ticket ?? '-',
    r.phase ?? r.status,
    r.startTime,
  ]);
  return formatTable(header, body);
}

/** Per HSM and partition: the last backup, the last successful drill, and whether a drill has
 * proven the newest backup restorable. */
export function formatBackupProofs(all: BackupProofs[]): string {
  const rows = all.flatMap((h) =>
    h.partitions.map((p) => [
      h.hsm,
      p.partition,
      p.lastBackup?.label ?? '-',
      p.lastBackup?.at ?? '-',
      p.lastDrill ? `${p.lastDrill.at} ${p.lastDrill.label}` : 'never',
      provenText(p),
    ]),
  );
  if (rows.length === 0) return 'no completed backup ceremony';
  const cut = all
    .filter((h) => h.read.truncated)
    .map((h) => `note: ${h.hsm}: only the newest ${h.read.limit} ceremonies of each kind were read (--limit)`);
  return [
    formatTable(['HSM', 'PARTITION', 'LAST BACKUP', 'BACKED UP', 'LAST SUCCESSFUL DRILL', 'NEWEST BACKUP'], rows),
    ...cut,
  ].join('\n');
}

/** Columns padded to their widest cell; every cell shown with its control characters written out. */
function formatTable(header: string[], rows: string[][]): string {
  const body = rows.map((row) => row.map(escapeControl));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [header, ...body]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// ---- ceremonies ----

export function formatStarted(s: StartResult, ticket: string): string {
  return s.existing
    ? `ticket ${ticket} already has ceremony ${s.ceremonyId} running; nothing new was started` +
        (s.runningPlanDigest !== s.planDigest
          ? `\nnote: it runs plan ${s.runningPlanDigest}, not the plan this request would build (${s.planDigest})`
          : '')
    : `started ${s.ceremonyId}\nplan digest ${s.planDigest}\nfollow it with: ceremony status ${s.ceremonyId}`;
}

export const formatResolved = (id: string, action: string) => `${action} accepted for ${id}`;

export const formatCancelled = (id: string) => `cancellation accepted for ${id}`;

// ---- gates ----

export function formatApproved(v: GateView): string {
  return `approved: gate ${v.gate} has ${v.approvals} of ${v.quorum}${v.approvals >= v.quorum ? ' (quorum reached)' : ''}`;
}

export const formatRejected = (id: string) => `rejected: ceremony ${id} ends as rejected`;

export const formatSignedOff = (v: GateView) => `signed off: gate ${v.gate}`;

export function formatKeygen(privateKeyFile: string, owner: string | undefined, publicKey: string): string {
  return [
    `private key written to ${privateKeyFile} (keep it to yourself)`,
    'add the public key to the inventory:',
    'signingKeys:',
    `  ${owner ?? '<your email>'}: ["${publicKey}"]`,
  ].join('\n');
}

// ---- audit ----

export function formatExported(id: string, file: string, manifest: AuditManifest): string {
  return [
    `exported ${id} to ${file} (sha256 ${manifest.historySha256.slice(0, 16)}…${manifest.signature ? ', signed' : ''})`,
    ...(manifest.closeEvent === 'running'
      ? [
          `note: ${id} is still running: this history is complete up to event ${manifest.lastEventId}, and verify will say "in progress"; export it again once it has ended`,
        ]
      : []),
  ].join('\n');
}

/** What `audit verify` prints (and, under --json, the same as JSON): one verdict per history and one for all. */
export interface VerifySummary {
  ok: boolean;
  histories: number;
  verified: number;
  failed: number;
  results: (VerifyResult & { verdict: string })[];
}

const named = (checks: VerifyCheck[], status: VerifyCheck['status']) => checks.filter((c) => c.status === status);

/** One line: "verified", "verified; not proven: …", or "FAILED: <the checks that failed>". */
export function verdictOf(r: VerifyResult, details = true): string {
  const failed = named(r.checks, 'failed');
  if (failed.length) return `FAILED: ${failed.map((c) => c.check).join(', ')}`;
  const open = named(r.checks, 'not-proven');
  if (!open.length) return 'verified';
  return `verified; not proven: ${details ? open.map((c) => (c.detail ? `${c.check}: ${c.detail}` : c.check)).join('; ') : open.map((c) => c.check).join(', ')}`;
}

export function verifySummary(results: VerifyResult[]): VerifySummary {
  const failed = results.filter((r) => !r.ok).length;
  return {
    ok: failed === 0,
    histories: results.length,
    verified: results.length - failed,
    failed,
    results: results.map((r) => ({ ...r, verdict: verdictOf(r) })),
  };
}

const STATUS_WORD: Record<VerifyCheck['status'], string> = {
  held: 'held',
  failed: 'FAILED',
  'not-proven': 'not proven',
};

const checkLine = (c: VerifyCheck) =>
  `  ${STATUS_WORD[c.status].padEnd(11)} ${c.check}${c.detail ? `: ${c.detail}` : ''}`;

function what(r: VerifyResult): string {
  return r.kind ? `${r.ceremonyId ?? '?'} (${r.kind} on ${r.hsm}, ${r.outcome})` : (r.ceremonyId ?? 'unreadable');
}

/** One history: every check on a line, then the verdict. A folder: a table, then what failed. */
export function formatVerifySummary(summary: VerifySummary): string {
  const { results } = summary;
  if (results.length === 1) {
    const [r] = results;
    return shown([`${r.file}: ${what(r)}`, ...r.checks.map(checkLine), r.verdict.replace(/^verified/, 'VERIFIED')]);
  }
  const dirs = new Set(results.map((r) => dirname(r.file)));
  const fileName = (r: VerifyResult) => (dirs.size === 1 ? basename(r.file) : r.file);
  const table = formatTable(
    ['FILE', 'CEREMONY', 'KIND', 'HSM', 'OUTCOME', 'VERDICT'],
    results.map((r) => [
      fileName(r),
      r.ceremonyId ?? '-',
      r.kind ?? '-',
      r.hsm ?? '-',
      r.outcome ?? '-',
      verdictOf(r, false),
    ]),
  );
  const failures = results
    .filter((r) => !r.ok)
    .flatMap((r) => ['', `FAILED ${fileName(r)}: ${what(r)}`, ...named(r.checks, 'failed').map(checkLine)]);
  return [
    table,
    ...failures.map(escapeControl),
    '',
    `${summary.histories} histories: ${summary.verified} verified, ${summary.failed} failed`,
  ].join('\n');
}

export const formatReportWritten = (file: string) => `report written to ${file}`;

// ---- schedules ----

export function formatScheduleCreated(
  scheduleId: string,
  planDigest: string,
  request: { kind?: ScheduledKind; hsm: string; partitions: string[]; every: string },
): string {
  const does = request.kind === 'restore-drill' ? 'restores the newest backup of' : 'backs up';
  return `schedule ${scheduleId} created: ${does} ${request.partitions.join(', ')} of ${request.hsm} every ${request.every}\nplan digest ${planDigest}`;
}

const scheduleLine = (s: ScheduleView) =>
  `${s.scheduleId}  every ${s.every ?? '?'}  ${s.paused ? 'PAUSED' : 'active'}  next ${s.nextRun ?? '-'}`;

export function formatScheduleList(rows: ScheduleView[]): string {
  return rows.length === 0
    ? 'no schedules'
    : rows.map((r) => `${scheduleLine(r)}${r.note ? `  (${r.note})` : ''}`).join('\n');
}

export function formatSchedule(s: ScheduleView): string {
  return [
    scheduleLine(s),
    ...(s.note ? [`  ${s.note}`] : []),
    ...s.recentRuns.map((r) => `  ${r.at}  ${r.ceremonyId}`),
  ].join('\n');
}

/** `backup-hsm-weu-1 paused`, `… triggered`, `… deleted`. */
export const formatScheduleChanged = (id: string, done: string) => `${id} ${done}`;
