import type { CeremonySummary } from '../client/ceremony-client';
import type { Plan } from '../ceremonies/plan';
import type { CeremonyStatus, TimelineEvent } from '../workflows/messages';
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
  if (s.refusal) lines.push(`  refused by the worker's policy check: ${s.refusal}`);
  if (s.openGate) {
    lines.push(
      `  gate "${s.openGate.id}": ${s.openGate.approvedBy.length}/${s.openGate.quorum} approvals` +
        `${s.openGate.approvedBy.length ? ` (${s.openGate.approvedBy.join(', ')})` : ''}; waiting on ${s.openGate.pending.join(', ') || 'nobody'}; deadline ${s.openGate.deadline}`,
    );
  }
  lines.push('  steps:');
  for (const step of s.steps) {
    const mark = STATUS_MARK[step.status] ?? '?';
    const extra = [step.irreversible ? 'irreversible' : '', step.attempts > 1 ? `${step.attempts} attempts` : '', step.evidence ? step.evidence.outcome : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`    ${mark} ${step.id.padEnd(18)} ${step.status.padEnd(10)} ${step.title}${extra ? ` (${extra})` : ''}`);
    if (step.error) lines.push(`        error: ${step.error}`);
  }
  if (s.phase === 'needs-intervention') {
    lines.push(`  next: ceremony resolve ${s.ceremonyId} --action retry|abort --as <operator> --reason "<why>"`);
  } else if (s.openGate) {
    lines.push(`  next: ceremony approve ${s.ceremonyId} --gate ${s.openGate.id} --digest ${s.planDigest.slice(0, 12)} --as <approver>`);
  }
  return shown(lines);
}

export function formatTimeline(events: TimelineEvent[]): string {
  return shown(events.map((e) => `${String(e.seq).padStart(3)}  ${e.at}  ${e.type.padEnd(20)} ${e.actor.padEnd(24)} ${e.step ? `[${e.step}] ` : ''}${e.detail}`));
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
      return [`  ${String(i + 1).padStart(2)}. [${step.type}] ${step.title}${step.irreversible ? ' [irreversible]' : ''}`, `        ${detail}`];
    }),
  ]);
}

export function formatList(rows: CeremonySummary[]): string {
  if (rows.length === 0) return 'no ceremonies';
  const header = ['CEREMONY', 'KIND', 'HSM', 'TICKET', 'PHASE', 'STARTED'];
  const body = rows.map((r) => [r.ceremonyId, r.kind ?? '-', r.hsm ?? '-', r.ticket ?? '-', r.phase ?? r.status, r.startTime].map(escapeControl));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [header, ...body].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
