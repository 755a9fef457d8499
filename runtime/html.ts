import { STYLESHEET, STYLESHEET_URL } from './stylesheet';

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
    const part = Array.isArray(value)
      ? value.map((v) => (v instanceof Html ? v.text : escapeHtml(v))).join('')
      : value instanceof Html
        ? value.text
        : escapeHtml(value);
    out += part + strings[i + 1];
  });
  return new Html(out);
}

/**
 * A whole page. Served pages link the app's stylesheet (the Content-Security-Policy allows no
 * inline style); a standalone document (a report file, the local mail inbox) carries it inline.
 */
export function page(
  title: string,
  body: Html,
  options: { refreshSeconds?: number; standalone?: boolean; script?: string; goTo?: string } = {},
): string {
  const style = options.standalone
    ? new Html(`<style>\n${STYLESHEET}</style>`)
    : html`<link rel="stylesheet" href="${STYLESHEET_URL}">`;
  const refresh = options.goTo
    ? html`<meta http-equiv="refresh" content="0;url=${options.goTo}">`
    : options.refreshSeconds
      ? new Html(`<meta http-equiv="refresh" content="${options.refreshSeconds}">`)
      : '';
  // a page with a script updates itself: it reloads only where scripts do not run
  const reload = options.script && refresh ? html`<noscript>${refresh}</noscript>` : refresh;
  const script = options.script ? html`<script src="${options.script}" defer></script>` : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · hsm-ceremonies</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${reload}
${style}${script}</head>
<body><header><a href="/">hsm-ceremonies</a></header><main>${body}</main></body></html>`.text;
}
