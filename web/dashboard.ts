import type { CeremonySummary } from '../client/ceremony-client';
import { provenText, type BackupProofs } from '../activities/backup-proofs';
import type { Plan } from '../ceremonies/plan';
import { FINAL_PHASES, type CeremonyStatus, type TimelineEvent } from '../workflows/messages';
import { witnessLog } from './witness-log';
import { decisionRow } from './witness-events';
import { WITNESS_SCRIPT_URL } from './witness-script';
import { Html, html, page } from '../runtime/html';

const logoutForm = html`<form method="post" action="/logout" class="inline"><button type="submit" id="logout">Log out</button></form>`;

/** `account` is undefined when the app has no operator logins. */
export function dashboardPage(
  rows: CeremonySummary[],
  filter: { kind?: string; hsm?: string; phase?: string },
  temporalUiUrl?: string,
  account?: { operator?: string },
): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.phase ?? r.status, (counts.get(r.phase ?? r.status) ?? 0) + 1);
  const body = html`<h1>Ceremonies</h1>
<p>${[...counts].map(([phase, n]) => html`<a href="/?phase=${phase}" class="phase phase-${phase}">${n} ${phase}</a> `)}</p>
<form method="get" action="/" class="card">Filter: <input name="kind" placeholder="kind" value="${filter.kind ?? ''}"> <input name="hsm" placeholder="hsm" value="${filter.hsm ?? ''}">
<input name="phase" placeholder="phase" value="${filter.phase ?? ''}"> <button type="submit">Show</button> <a href="/">all</a></form>
<p class="muted">${rows.length} ceremonies, newest first. <a href="/backups" id="backups-link">Backups: which are proven restorable</a>. ${temporalUiUrl ? html`Raw workflow histories: <a href="${temporalUiUrl}">Temporal Web UI</a>.` : ''}</p>
${account?.operator ? html`<div class="muted" id="account">Logged in as ${account.operator}. ${logoutForm}</div>` : account ? html`<div class="muted" id="account"><a href="/login">Operator login</a></div>` : ''}
<table><thead><tr><th>Ceremony</th><th>Kind</th><th>HSM</th><th>Ticket</th><th>Phase</th><th>Started</th></tr></thead><tbody>
${rows.map(
  (
    r,
  ) => html`<tr><td><a href="/ceremonies/${encodeURIComponent(r.ceremonyId)}">${r.ceremonyId}</a></td><td>${r.kind ?? '-'}</td><td>${r.hsm ?? '-'}</td><td>${r.ticket ?? '-'}</td>
<td><span class="phase phase-${r.phase ?? r.status}">${r.phase ?? r.status}</span></td><td>${r.startTime}</td></tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p>No ceremony yet. Start one with <code>npx ceremony start rehearsal --hsm hsm-weu-1 --ticket jira:OPS-1 --requester dave@example.com</code></p>` : ''}`;
  return page('Ceremonies', body, { refreshSeconds: 5 });
}

/** Per HSM and partition: the last backup, the last successful restore drill, and whether a
 * drill has proven the newest backup restorable (from the ceremonies' results). */
export function backupsPage(all: BackupProofs[]): string {
  const rows = all.flatMap((h) => h.partitions.map((p) => ({ hsm: h.hsm, p })));
  const ceremony = (id: string) => html`<a href="/ceremonies/${encodeURIComponent(id)}">${id}</a>`;
  const body = html`<h1>Backups</h1>
<p class="muted">Per partition, from the results of completed backup and restore-drill ceremonies: a backup is proven restorable once a drill restored that very backup and found every object. <a href="/">All ceremonies</a>.</p>
<table id="backup-proofs"><thead><tr><th>HSM</th><th>Partition</th><th>Last backup</th><th>Last successful drill</th><th>Newest backup</th></tr></thead><tbody>
${rows.map(
  ({ hsm, p }) => html`<tr data-partition="${hsm}/${p.partition}"><td>${hsm}</td><td>${p.partition}</td>
<td>${p.lastBackup ? html`<code>${p.lastBackup.label}</code><br>${p.lastBackup.at} · ${ceremony(p.lastBackup.ceremonyId)}` : 'none'}</td>
<td>${p.lastDrill ? html`<code>${p.lastDrill.label}</code><br>${p.lastDrill.at} · ${ceremony(p.lastDrill.ceremonyId)}` : 'never'}</td>
<td><span class="phase ${p.newestProvenBy ? 'phase-completed' : 'phase-needs-intervention'}">${provenText(p)}</span></td></tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p>No completed backup ceremony yet.</p>` : ''}
${all.filter((h) => h.read.truncated).map((h) => html`<p class="muted">${h.hsm}: only the newest ${h.read.limit} ceremonies of each kind were read.</p>`)}`;
  return page('Backups', body);
}

/** Forms shown to a logged-in operator. */
function operatorForms(status: CeremonyStatus, actions: { operator: string; form: string }): Html {
  const resolve =
    status.phase === 'needs-intervention'
      ? html`<form method="post" action="/ceremonies/${encodeURIComponent(status.ceremonyId)}/resolve" class="card" id="resolve-form"><input type="hidden" name="form" value="${actions.form}">
<b>Resolve the failed step</b> <select name="action"><option value="retry">retry</option><option value="abort">abort</option></select>
<label>Reason <input name="reason" required maxlength="2000"></label> <button type="submit" id="resolve">Resolve</button></form>`
      : '';
  const cancel = status.cancellable
    ? html`<form method="post" action="/ceremonies/${encodeURIComponent(status.ceremonyId)}/cancel" class="card" id="cancel-form"><input type="hidden" name="form" value="${actions.form}">
<b>Cancel the ceremony</b> <label>Reason <input name="reason" required maxlength="2000"></label> <button type="submit" id="cancel">Cancel</button></form>`
    : '';
  return html`<h2>Operator actions</h2><div class="muted" id="account">Logged in as ${actions.operator}. ${logoutForm}</div>${resolve}${cancel}${!resolve && !cancel ? html`<p class="muted">nothing to do now</p>` : ''}`;
}

/** The log, live for a logged-in operator while the ceremony runs (the page's script follows
 * its event stream); without JavaScript the page reloads itself instead. */
function logSection(
  status: CeremonyStatus,
  timeline: TimelineEvent[],
  operator: boolean,
  live: boolean,
  logins: boolean,
): Html {
  const stream = live ? `/ceremonies/${encodeURIComponent(status.ceremonyId)}/events` : undefined;
  const note = live
    ? html`<p class="muted" id="live-state">Connecting to the live view…</p><noscript><p class="muted">This page follows the ceremony with JavaScript; without it, it reloads itself every ${REFRESH_SECONDS} s (reload to update).</p></noscript>`
    : !operator && logins && !FINAL_PHASES.includes(status.phase)
      ? html`<p class="muted">This page reloads itself every ${REFRESH_SECONDS} s. <a href="/login">Operator login</a> to follow it live, with the device commands and their output.</p>`
      : '';
  return html`<h2>Log</h2>${note}${witnessLog(timeline, status, { commands: operator, stream })}`;
}

const REFRESH_SECONDS = 5;

/** `view.logins`: the app has operator logins (and so a live view for them). */
export function ceremonyPage(
  status: CeremonyStatus,
  timeline: TimelineEvent[],
  plan: Plan,
  actions?: { operator: string; form: string },
  view: { logins: boolean } = { logins: false },
): string {
  const gate = status.openGate;
  const running = !FINAL_PHASES.includes(status.phase);
  const live = actions !== undefined && running;
  const body = html`<h1>${status.title}</h1>
<div class="card"><span class="phase phase-${status.phase}" id="phase">${status.phase}</span>
 <b>${status.ceremonyId}</b> · ${status.kind} on <b>${status.hsm}</b> · ticket ${status.ticket} · requested by ${status.requester}<br>
 plan digest <code>${status.planDigest}</code>
 ${status.refusal ? html`<br><b>${status.refusedBy ? `Refused by the precheck "${status.refusedBy}" before any gate:` : "Refused by the worker's policy check:"}</b> ${status.refusal}` : ''}
 ${status.currentStep ? html`<br><span id="current-step">current step: <b>${status.currentStep}</b></span>` : ''}
 ${gate ? html`<br id="open-gate-break"><span id="open-gate">gate <b>${gate.id}</b>: ${gate.approvedBy.length} of ${gate.quorum} approvals${gate.approvedBy.length ? html` (${gate.approvedBy.join(', ')})` : ''}; waiting on ${gate.pending.join(', ')}; deadline ${gate.deadline}</span>` : ''}
</div>
${actions ? operatorForms(status, actions) : html`<p class="muted"><a href="/login">Operator login</a> to resolve or cancel.</p>`}
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>Step</th><th>Type</th><th>Status</th><th>Attempts</th><th>Evidence / error</th></tr></thead><tbody>
${status.steps.map((s, i) => {
  const planned = plan.steps[i];
  const what =
    planned.type === 'device' || planned.type === 'api' || planned.type === 'check'
      ? html`<br><code>${planned.op} ${JSON.stringify(planned.args)}</code>`
      : '';
  return html`<tr data-step="${s.id}"><td>${i + 1}</td><td>${s.title}${s.irreversible ? html` <b>[irreversible]</b>` : ''}${what}</td><td>${s.type}</td>
<td><span class="phase step-status st-${s.status}">${s.status}</span></td><td>${s.attempts || ''}</td>
<td>${s.error ? html`<b>${s.error}</b>` : ''}${s.evidence ? html`${s.evidence.outcome}<br><code>${JSON.stringify(s.evidence.verify)}</code>` : ''}</td></tr>`;
})}
</tbody></table>
<h2>Decisions</h2>
${status.decisions.length === 0 ? html`<p class="muted" id="no-decisions">none yet</p>` : ''}
<table id="decisions"${status.decisions.length === 0 ? new Html(' hidden') : ''}><thead><tr><th>When</th><th>Gate</th><th>Who</th><th>Decision</th><th>Via</th><th>Note</th></tr></thead><tbody>
${status.decisions.map(decisionRow).map((d) => html`<tr><td>${d.at}</td><td>${d.gate}</td><td>${d.actor}</td><td>${d.decision}</td><td>${d.via}</td><td>${d.note}</td></tr>`)}
</tbody></table>
${logSection(status, timeline, actions !== undefined, live, view.logins)}`;
  return page(status.ceremonyId, body, {
    refreshSeconds: running ? REFRESH_SECONDS : undefined,
    script: live ? WITNESS_SCRIPT_URL : undefined,
  });
}
