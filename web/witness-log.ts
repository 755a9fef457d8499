import { html, type Html } from '../runtime/html';
import type { CeremonyStatus, TimelineEvent } from '../workflows/messages';
import { witnessEvents, type WitnessEvent } from './witness-events';

// The ceremony's log as the page renders it: the same elements the page's script appends
// (./witness-script.ts), so a page without JavaScript shows what a live one would.

function item(e: WitnessEvent): Html {
  const commands = e.commands?.length
    ? html`<ul class="commands">${e.commands.map((c) => html`<li class="command"><code class="command-line">${c.device} (${c.user}) $ ${c.command}</code> <span class="exit">${c.code === 0 ? 'ok' : `code ${c.code}`}</span><pre class="output">${c.output}</pre></li>`)}</ul>`
    : '';
  return html`<li class="ev ev-${e.kind}" data-seq="${e.seq}" data-kind="${e.kind}"><span class="when">${e.at}</span> <b class="what">${e.type}</b> ${e.step ? html`<span class="step">${e.step}</span> ` : ''}<span class="who">${e.actor}</span> <span class="detail">${e.detail}</span>${commands}</li>`;
}

/** The log; `stream` (the event stream's URL) makes it live for the page's script. Device
 * commands are shown with `commands` (to logged-in operators, as the stream is). */
export function witnessLog(
  timeline: TimelineEvent[],
  status: CeremonyStatus,
  options: { commands: boolean; stream?: string },
): Html {
  const events = witnessEvents(timeline, status).map((e) => (options.commands ? e : { ...e, commands: undefined }));
  const after = timeline.length ? timeline[timeline.length - 1].seq : 0;
  const stream = options.stream ? `${options.stream}?after=${after}` : undefined;
  return html`<ol id="witness-log" class="witness-log"${stream ? html` data-stream="${stream}"` : ''}>${events.map(item)}</ol>`;
}
