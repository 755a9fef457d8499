import { escapeControl, freeTextProblem } from '../../ceremonies/free-text';

const NO_TEXT = 'must contain visible text (at least one letter or digit)';

test.each([
  ['a plain reason', 'change withdrawn by the requester'],
  ['one digit', '7'],
  ['letters of another script', 'отменено'],
  ['a reason with an emoji and punctuation', 'wrong HSM 🔑!'],
  ['a zero-width space beside text', '\u200bok'],
])('%s is accepted', (_name, text) => {
  expect(freeTextProblem(text, { multiline: false })).toBeUndefined();
  expect(freeTextProblem(text, { multiline: true })).toBeUndefined();
});

test.each([
  ['empty', ''],
  ['only spaces', '   '],
  ['only a zero-width space', '\u200b'],
  ['invisible characters and whitespace', '\u200b \u2060\ufeff\u00a0\u3164\u00ad'],
  ['only punctuation', '-- ?'],
])('%s has no visible text', (_name, text) => {
  expect(freeTextProblem(text, { multiline: false })).toBe(NO_TEXT);
  expect(freeTextProblem(text, { multiline: true })).toBe(NO_TEXT);
});

test.each([
  ['an escape sequence', 'ok\u001b[2J', 'U+001B'],
  ['NUL', 'a\u0000b', 'U+0000'],
  ['DEL', 'a\u007f', 'U+007F'],
  ['a C1 control (CSI)', 'a\u009b2J', 'U+009B'],
  ['a right-to-left override', 'approve\u202eevorppa', 'U+202E'],
  ['a bidi isolate', 'a\u2066b', 'U+2066'],
  ['a newline in a one-line field', 'line one\nline two', 'U+000A'],
  ['a tab in a one-line field', 'a\tb', 'U+0009'],
  ['a carriage return in a one-line field', 'a\rb', 'U+000D'],
])('%s is refused, naming the character', (_name, text, named) => {
  expect(freeTextProblem(text, { multiline: false })).toBe(`must not contain control characters (found ${named})`);
});

test('a multi-line field allows tab, newline and CR, and nothing else of C0', () => {
  expect(freeTextProblem('first line\r\n\tsecond line', { multiline: true })).toBeUndefined();
  expect(freeTextProblem('first line\n\u001b[1A', { multiline: true })).toBe(
    'must not contain control characters (found U+001B)',
  );
  expect(freeTextProblem('\n\t\r', { multiline: true })).toBe(NO_TEXT);
});

test('escapeControl writes every control character out and leaves other text alone', () => {
  expect(escapeControl('\u001b[2J\nfake line\r\t<b>')).toBe('\\x1b[2J\\nfake line\\r\\t<b>');
  expect(escapeControl('a\u0000b\u007fc\u009bd\u202ee\u2069')).toBe('a\\x00b\\x7fc\\x9bd\\u202ee\\u2069');
  expect(escapeControl('ordinary text: ü, 🔑, \u200b, C:\\path')).toBe('ordinary text: ü, 🔑, \u200b, C:\\path');
});
