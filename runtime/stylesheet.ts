import { createHash } from 'node:crypto';

/** The one stylesheet of every page: served as /assets/app.css, or inlined in a standalone page. */
export const STYLESHEET = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:10px 24px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 10px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}code{font-size:12px}
.phase{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#dfe3e8}
a.phase{text-decoration:none;color:inherit}
.phase-completed,.st-succeeded{background:#d3f2dc}.phase-rejected,.phase-expired,.phase-aborted,.phase-cancelled,.phase-refused,.st-failed,.st-rejected,.st-expired{background:#fbd9d7}
.phase-needs-intervention{background:#ffe3b3}.phase-awaiting-approval,.phase-awaiting-signoff,.st-awaiting{background:#dce8ff}.st-running,.phase-running,.phase-waiting{background:#e9e0ff}
.card{background:#fff;padding:12px 16px;margin:12px 0;border:1px solid #e3e6ea}
.this-gate{background:#fff7d6}
.muted{color:#667085}
form.inline{display:inline}
.witness-log{background:#fff;border:1px solid #e3e6ea;margin:0;padding:8px 16px 8px 44px}.witness-log .when{color:#667085;font-size:12px}
.ev-decision .what{color:#1d4ed8}.ev-ended .what{color:#15803d}.commands{margin:4px 0;padding-left:18px}
pre.output{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f6f8;border:1px solid #e3e6ea;padding:6px 8px;margin:2px 0 6px;font-size:12px}.witness-log pre.output{max-height:16em;overflow:auto}
details>summary{cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}.state{font-family:ui-monospace,monospace;font-size:12px}
@media print{body{background:#fff}header{display:none}main{max-width:none;padding:0}.report-section+.report-section{break-before:page}h2,h3,summary{break-after:avoid}details::details-content{content-visibility:visible;display:block}}
`;

export const STYLESHEET_PATH = '/assets/app.css';

/** The URL pages link: the content's hash makes a changed stylesheet a new URL, so it may be cached for good. */
export const STYLESHEET_URL = `${STYLESHEET_PATH}?v=${createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 12)}`;
