// Free text that people type (reasons, comments, sign-off references) ends up in the audit trail,
// the CLI and reports. It must say something, and must not carry control characters that could
// move a terminal's cursor, fake a line, or reverse text.

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const VISIBLE = /[\p{L}\p{N}]/u;

/** What is wrong with `text` as free text: `empty` (no letter or digit once invisible characters
 * are gone; allowed with `required: false` when the text is empty), `control` (control or bidi
 * characters; `multiline` allows newlines and tabs), or undefined. */
export function freeTextProblem(text: string, options: { multiline?: boolean; required?: boolean } = {}): 'empty' | 'control' | undefined {
  if (options.required === false && text === '') return undefined;
  if (!VISIBLE.test(text.replace(/\p{Cf}/gu, ''))) return 'empty';
  if (CONTROL.test(text) || (!options.multiline && /[\n\r]/.test(text))) return 'control';
  return undefined;
}

/** Show control characters as escapes (`\x1b`, `\n`), for text printed to a terminal or a report. */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
