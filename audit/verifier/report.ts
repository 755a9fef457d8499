import { escapeControl } from '../../ceremonies/free-text';
import { own } from '../../ceremonies/own';
import { html, page, type Html } from '../../runtime/html';
import type { ApiCall } from '../../activities/types';
import type { AuditEvent } from './history';
import { reportModel, type ReportCommand, type ReportModel } from './report-model';
import type { VerifyResult } from './verdict';

// The report of one ceremony, laid out as Markdown or as an HTML page that prints (a page per
// section, every command's output printed open). The content is report-model.ts's.

const DECISION_HEAD = [
  'Recorded',
  'Gate',
  'Who',
  'Decision',
  'How',
  'Signed at',
  'Signature',
  'Plan',
  'Comment / reason / reference',
];
const CHECK_HEAD = ['Check', 'Result', 'Detail'];

const decisionRow = (d: ReportModel['decisions'][number]) => [
  d.recorded,
  d.gate,
  d.who,
  d.decision,
  d.how,
  d.signedAt,
  d.signature,
  d.plan,
  d.text,
];
const apiCallLine = (c: ApiCall) =>
  `${c.method} ${c.target} → ${c.status}${c.operationStatus ? ` (operation ${c.operationStatus})` : ''}${c.requestId ? ` [request ${c.requestId}]` : ''}`;
const commandLine = (c: ReportCommand) =>
  `${c.device} (${c.user}): ${c.command} → ${c.code === 0 ? 'ok' : `code ${c.code}`}`;
const incidentLine = (i: ReportModel['incidents'][number]) => `${i.when} ${i.who} ${i.what}: ${i.detail}`;

/** Text from the history as Markdown shows it: control characters written out, and HTML escaped
 * so that a reason cannot become markup where the Markdown is rendered. */
const mdText = (text: string) => escapeControl(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const md = (cells: string[]) => `| ${cells.map((c) => mdText(c).replace(/\|/g, '\\|')).join(' | ')} |`;
const mdTable = (head: string[], rows: string[][]) =>
  rows.length ? [md(head), md(head.map(() => '---')), ...rows.map(md)] : ['none'];
const bullet = (text: string) => `- ${mdText(text)}`;

/** A device's output as a fenced block: shown as it is (a fence renders no markup), control
 * characters written out, the fence longer than any run of backticks in it. */
function fenced(output: string): string[] {
  const lines = output.replace(/\r\n?/g, '\n').split('\n').map(escapeControl);
  const fence = '`'.repeat(
    Math.max(3, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length + 1)))),
  );
  return [`${fence}text`, ...lines, fence];
}

const mdCommands = (commands: ReportCommand[]) =>
  commands.flatMap((c) => [bullet(commandLine(c)), '', ...fenced(c.output), '']);

export function reportMarkdown(events: AuditEvent[], verdict?: VerifyResult): string {
  const m = reportModel(events, verdict);
  return [
    `# Audit report: ${mdText(m.title)}`,
    '',
    ...m.summary.map(([k, v]) => `- **${mdText(k)}:** ${mdText(v)}`),
    '',
    '## Verdict',
    '',
    `**${mdText(m.verdict.headline)}**`,
    '',
    ...(m.verdict.checks.length
      ? [
          ...mdTable(
            CHECK_HEAD,
            m.verdict.checks.map((c) => [c.check, c.status, c.detail ?? '']),
          ),
          '',
        ]
      : []),
    ...m.verdict.lines.map(bullet),
    '',
    '## Decisions',
    '',
    ...mdTable(DECISION_HEAD, m.decisions.map(decisionRow)),
    '',
    '## Steps',
    '',
    ...m.steps.flatMap((s) => [
      `### ${s.n}. ${mdText(s.title)}${s.irreversible ? ' [irreversible]' : ''}`,
      '',
      `- **Result:** ${mdText(s.status)}`,
      ...(s.state ? [`- **Before → after:** ${mdText(s.state)}`] : []),
      ...(s.apiCalls.length ? ['- **API calls:**', ...s.apiCalls.map((c) => `  ${bullet(apiCallLine(c))}`)] : []),
      ...(s.warnings.length ? ['- **Device warnings:**', ...s.warnings.map((w) => `  ${bullet(w)}`)] : []),
      ...(s.nextSteps.length
        ? ['- **Next steps (outside the ceremony):**', '', ...fenced(s.nextSteps.join('\n'))]
        : []),
      '',
      ...(s.commands.length ? ['Device commands (outputs scrubbed of secrets):', '', ...mdCommands(s.commands)] : []),
    ]),
    '## Failures and interventions',
    '',
    ...(m.incidents.length
      ? m.incidents.flatMap((i) => [
          bullet(incidentLine(i)),
          ...i.warnings.map((w) => `  ${bullet(`device warning: ${w}`)}`),
          ...(i.commands.length ? ['', ...mdCommands(i.commands)] : []),
        ])
      : ['none']),
    '',
  ].join('\n');
}

const table = (head: string[], rows: string[][]) =>
  rows.length
    ? html`<table><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`
    : html`<p class="muted">none</p>`;

const htmlCommands = (commands: ReportCommand[]): Html[] =>
  commands.map(
    (c) => html`<details><summary>${commandLine(c)}</summary><pre class="output">${c.output}</pre></details>`,
  );

const STATUS_CLASS: Record<string, string> = { held: 'st-succeeded', failed: 'st-failed', 'not-proven': 'st-awaiting' };

export function reportHtml(events: AuditEvent[], verdict?: VerifyResult): string {
  const m = reportModel(events, verdict);
  const checks = m.verdict.checks.length
    ? html`<table><thead><tr>${CHECK_HEAD.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${m.verdict.checks.map(
        (c) =>
          html`<tr><td>${c.check}</td><td><span class="phase ${own(STATUS_CLASS, c.status) ?? ''}">${c.status}</span></td><td>${c.detail ?? ''}</td></tr>`,
      )}</tbody></table>`
    : '';
  return page(
    `Audit: ${m.title}`,
    html`<section class="report-section"><h1>Audit report: ${m.title}</h1>
<div class="card">${m.summary.map(([k, v]) => html`<b>${k}:</b> ${v}<br>`)}</div>
<h2>Verdict</h2><div class="card"><b>${m.verdict.headline}</b>${checks}<ul>${m.verdict.lines.map((l) => html`<li>${l}</li>`)}</ul></div></section>
<section class="report-section"><h2>Decisions</h2>${table(DECISION_HEAD, m.decisions.map(decisionRow))}</section>
<section class="report-section"><h2>Steps</h2>${m.steps.map(
      (s) => html`<div class="card report-step"><h3>${s.n}. ${s.title}${s.irreversible ? ' [irreversible]' : ''}</h3>
<p><b>Result:</b> ${s.status}</p>${s.state ? html`<p><b>Before → after:</b> <span class="state">${s.state}</span></p>` : ''}
${s.apiCalls.length ? html`<p><b>API calls:</b></p><ul>${s.apiCalls.map((c) => html`<li><code>${apiCallLine(c)}</code></li>`)}</ul>` : ''}
${s.warnings.length ? html`<p><b>Device warnings:</b></p><ul class="warnings">${s.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
${s.nextSteps.length ? html`<p><b>Next steps (outside the ceremony):</b></p><pre class="output">${s.nextSteps.join('\n')}</pre>` : ''}
${s.commands.length ? html`<p><b>Device commands</b> (outputs scrubbed of secrets):</p>${htmlCommands(s.commands)}` : ''}</div>`,
    )}</section>
<section class="report-section"><h2>Failures and interventions</h2>${
      m.incidents.length
        ? html`<ul>${m.incidents.map((i) => html`<li>${incidentLine(i)}${i.warnings.length ? html`<ul class="warnings">${i.warnings.map((w) => html`<li>device warning: ${w}</li>`)}</ul>` : ''}${htmlCommands(i.commands)}</li>`)}</ul>`
        : html`<p class="muted">none</p>`
    }</section>`,
    { standalone: true },
  );
}
