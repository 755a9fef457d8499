import { createHash } from 'node:crypto';

/** The ceremony page's one script (served from the app's origin, as the Content-Security-Policy
 * requires): it follows the page's event stream and appends what happens to the log, updates the
 * phase and the steps' statuses. Text goes in with textContent only: nothing the stream carries
 * is parsed as HTML. Its elements mirror those of `witnessLog` (./witness-log.ts). */
export const WITNESS_SCRIPT = `'use strict';
(function () {
  var log = document.getElementById('witness-log');
  var state = document.getElementById('live-state');
  if (!log || !log.dataset.stream || typeof EventSource !== 'function') return;
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function say(text) { if (state) state.textContent = text; }
  function setStepStatus(step, status) {
    var rows = document.querySelectorAll('tr[data-step]');
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.step !== step) continue;
      var badge = rows[i].querySelector('.step-status');
      if (badge) { badge.textContent = status; badge.className = 'phase step-status st-' + status; }
    }
  }
  function append(e) {
    var item = el('li', 'ev ev-' + e.kind);
    item.dataset.seq = String(e.seq);
    item.dataset.kind = e.kind;
    item.append(el('span', 'when', e.at), ' ', el('b', 'what', e.type), ' ');
    if (e.step) item.append(el('span', 'step', e.step), ' ');
    item.append(el('span', 'who', e.actor), ' ', el('span', 'detail', e.detail));
    if (e.commands && e.commands.length) {
      var list = el('ul', 'commands');
      e.commands.forEach(function (c) {
        var line = el('li', 'command');
        line.append(el('code', 'command-line', c.device + ' (' + c.user + ') $ ' + c.command), ' ', el('span', 'exit', c.code === 0 ? 'ok' : 'code ' + c.code), el('pre', 'output', c.output));
        list.append(line);
      });
      item.append(list);
    }
    log.append(item);
    if (e.step && e.stepStatus) setStepStatus(e.step, e.stepStatus);
    if (e.decision) addDecision(e.decision);
  }
  function addDecision(d) {
    var table = document.getElementById('decisions');
    var none = document.getElementById('no-decisions');
    if (!table) return;
    var row = document.createElement('tr');
    [d.at, d.gate, d.actor, d.decision, d.via, d.note].forEach(function (text) { row.append(el('td', '', text)); });
    table.tBodies[0].append(row);
    table.hidden = false;
    if (none) none.hidden = true;
  }
  function hide(id) { var node = document.getElementById(id); if (node) node.hidden = true; }
  function showState(s) {
    var badge = document.getElementById('phase');
    if (badge) { badge.textContent = s.phase; badge.className = 'phase phase-' + s.phase; }
    var step = document.querySelector('#current-step b');
    if (step) step.textContent = s.currentStep || '-';
    // the summary of the open gate holds only while it is open (the decisions table goes on)
    if (s.phase !== 'awaiting-approval' && s.phase !== 'awaiting-signoff') { hide('open-gate'); hide('open-gate-break'); }
  }
  var source = new EventSource(log.dataset.stream);
  source.addEventListener('open', function () { say('Live: following the ceremony as it runs.'); });
  source.addEventListener('error', function () { say(source.readyState === EventSource.CLOSED ? 'Live view stopped: reload the page.' : 'Live view reconnecting…'); });
  source.addEventListener('witness', function (m) { append(JSON.parse(m.data)); });
  source.addEventListener('phase', function (m) { showState(JSON.parse(m.data)); });
  source.addEventListener('end', function (m) {
    source.close();
    hide('cancel-form');
    hide('resolve-form');
    say('The ceremony has ended (' + JSON.parse(m.data).phase + ').');
  });
})();
`;

export const WITNESS_SCRIPT_PATH = '/assets/witness.js';

/** The URL pages load it from: its content's hash makes a changed script a new URL. */
export const WITNESS_SCRIPT_URL = `${WITNESS_SCRIPT_PATH}?v=${createHash('sha256').update(WITNESS_SCRIPT).digest('hex').slice(0, 12)}`;
