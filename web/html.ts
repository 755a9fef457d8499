/** Escape text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    const part = Array.isArray(value) ? value.map((v) => (v instanceof Html ? v.text : escapeHtml(v))).join('') : value instanceof Html ? value.text : escapeHtml(value);
    out += part + strings[i + 1];
  });
  return new Html(out);
}

export function page(title: string, body: Html, options: { refreshSeconds?: number } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · hsm-ceremonies</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? new Html(`<meta http-equiv="refresh" content="${options.refreshSeconds}">`) : ''}
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:10px 24px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 10px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef0f3;font-weight:600}code{font-size:12px}
.phase{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#dfe3e8}
.phase-completed,.st-succeeded{background:#d3f2dc}.phase-rejected,.phase-expired,.phase-aborted,.phase-cancelled,.st-failed,.st-rejected,.st-expired{background:#fbd9d7}
.phase-needs-intervention{background:#ffe3b3}.phase-awaiting-approval,.phase-awaiting-signoff,.st-awaiting{background:#dce8ff}.st-running,.phase-running,.phase-waiting{background:#e9e0ff}
.card{background:#fff;padding:12px 16px;margin:12px 0;border:1px solid #e3e6ea}
.muted{color:#667085}
</style></head>
<body><header><a href="/">hsm-ceremonies</a></header><main>${body}</main></body></html>`.text;
}
