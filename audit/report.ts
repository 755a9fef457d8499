import { escapeControl } from '../ceremonies/free-text';
import { html, page } from '../runtime/html';
import type { AuditEvent } from './history';
import { auditFacts } from './invariants';
import type { VerifyResult } from './verify';

// A human report of one ceremony from its history: who asked, what plan, who approved when and
// how, what each device command printed (scrubbed), failures and interventions, the verdict.

interface ReportModel {
  title: string;
  rows: [string, string][];
  steps: string[];
  approvals: [string, string, string, string, string, string, string][];
  commands: [string, string, string, string][];
  interventions: [string, string, string][];
  verdict: string[];
}

function model(events: AuditEvent[], verdict: VerifyResult | undefined): ReportModel {
  const f = auditFacts(events);
  const time = (id: number) => events.find((e) => e.id === id)?.time ?? '';
  const final = events.find((e) => e.completedResult !== undefined)?.completedResult as { phase?: string } | undefined;
  return {
    title: f.plan.title,
    rows: [
      ['Ceremony', `${f.plan.kind} on ${f.plan.hsm}`],
      ['Requested by', f.plan.requester],
      ['Ticket', f.plan.ticket],
      ['Plan digest (sha256)', f.digest],
      ['Outcome', final?.phase ?? 'still running'],
    ],
    steps: f.plan.steps.map((s, i) => `${i + 1}. ${s.title}${s.irreversible ? ' [irreversible]' : ''}`),
    approvals: f.decisions.map((d) => [
      time(d.eventId),
      d.gate,
      d.actor,
      d.name,
      d.via === 'cli' ? "own key" : d.via === 'email-link' ? 'email link (web app attests)' : d.via,
      d.signatureValid ? 'valid' : 'INVALID',
      d.planDigest === f.digest ? 'this plan' : `OTHER plan ${String(d.planDigest).slice(0, 12)}…`,
    ]),
    commands: f.operations.flatMap((o) =>
      (o.result?.transcript ?? []).map((t): [string, string, string, string] => [o.input.stepId, `${t.device} (${t.user})`, t.command, `${t.code === 0 ? 'ok' : `code ${t.code}`}: ${t.output.split('\n').filter(Boolean).slice(-3).join(' / ')}`]),
    ),
    interventions: [
      ...events.filter((e) => e.type.includes('ACTIVITY_TASK_FAILED')).map((e): [string, string, string] => [time(e.id), 'step failed', `event ${e.id}`]),
      ...f.resolutions.map((r): [string, string, string] => [time(r.eventId), `${String(r.args.by)} chose ${String(r.args.action)}`, String(r.args.reason)]),
    ],
    verdict: verdict
      ? [
          ...(verdict.ok ? [`VERIFIED: ${verdict.replayed ? 'replayed with the current code' : 'from the history alone (not replayed)'}, every decision signed, every invariant holds`] : [...verdict.problems, ...verdict.violations.map((v) => `${v.invariant} (events ${v.eventIds.join(', ')}): ${v.detail}`)]),
          ...verdict.notes,
        ]
      : ['not verified'],
  };
}

/** Text from the history as Markdown shows it: control characters written out, and HTML escaped
 * so that a reason cannot become markup where the Markdown is rendered. */
const mdText = (text: string) => escapeControl(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const md = (cells: string[]) => `| ${cells.map((c) => mdText(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const bullet = (text: string) => `- ${mdText(text)}`;

export function reportMarkdown(events: AuditEvent[], verdict?: VerifyResult): string {
  const m = model(events, verdict);
  return [
    `# Audit report: ${mdText(m.title)}`,
    '',
    ...m.rows.map(([k, v]) => `- **${mdText(k)}:** ${mdText(v)}`),
    '',
    '## Verdict',
    ...m.verdict.map(bullet),
    '',
    '## The plan',
    ...m.steps.map(mdText),
    '',
    '## Approvals',
    md(['When', 'Gate', 'Who', 'Decision', 'Signed with', 'Signature', 'Plan']),
    md(['---', '---', '---', '---', '---', '---', '---']),
    ...m.approvals.map(md),
    '',
    '## Device commands (outputs scrubbed of secrets)',
    md(['Step', 'Device', 'Command', 'Result']),
    md(['---', '---', '---', '---']),
    ...m.commands.map(md),
    '',
    '## Failures and interventions',
    ...(m.interventions.length ? m.interventions.map(([t, what, why]) => bullet(`${t} ${what}: ${why}`)) : ['none']),
    '',
  ].join('\n');
}

export function reportHtml(events: AuditEvent[], verdict?: VerifyResult): string {
  const m = model(events, verdict);
  const table = (head: string[], rows: string[][]) => html`<table><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
  return page(
    `Audit: ${m.title}`,
    html`<h1>Audit report: ${m.title}</h1><div class="card">${m.rows.map(([k, v]) => html`<b>${k}:</b> ${v}<br>`)}</div>
<h2>Verdict</h2><div class="card">${m.verdict.map((v) => html`${v}<br>`)}</div>
<h2>The plan</h2><ol>${m.steps.map((s) => html`<li>${s.replace(/^\d+\. /, '')}</li>`)}</ol>
<h2>Approvals</h2>${table(['When', 'Gate', 'Who', 'Decision', 'Signed with', 'Signature', 'Plan'], m.approvals)}
<h2>Device commands (outputs scrubbed of secrets)</h2>${table(['Step', 'Device', 'Command', 'Result'], m.commands)}
<h2>Failures and interventions</h2>${table(['When', 'What', 'Why'], m.interventions)}`,
    { standalone: true },
  );
}
