// Free text people type (reasons) and that is shown back as text (timelines, reports). Pure, so
// the web forms, the CLI output and the workflow's validators can share one rule.

/** C0 controls, DEL, C1 controls, and the bidi embeddings, overrides and isolates. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');
const LINE_BREAKS = new Set(['\t', '\n', '\r']);
// Default_Ignorable_Code_Point covers U+200B, U+2060, U+FEFF, U+00AD, U+3164 and the like:
// characters that render as nothing although they are letters to some regexes
const INVISIBLE = /[\s\p{Default_Ignorable_Code_Point}]/gu;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What is wrong with a required free-text field, or undefined if nothing is. The answer completes
 * a sentence about the field: `the reason ${problem}`.
 */
export function freeTextProblem(text: string, { multiline }: { multiline: boolean }): string | undefined {
  for (const c of text) {
    if (CONTROL.test(c) && !(multiline && LINE_BREAKS.has(c)))
      return `must not contain control characters (found ${codePoint(c)})`;
  }
  if (!LETTER_OR_DIGIT.test(text.replace(INVISIBLE, '')))
    return 'must contain visible text (at least one letter or digit)';
  return undefined;
}

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** The text with every control character written out (`\x1b`, `\n`, `\u202e`), so showing it
 * cannot move a terminal's cursor, start a new line or reorder what follows. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_ALL, (c) => {
    const code = c.codePointAt(0)!;
    return (
      SHORT[c] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}
