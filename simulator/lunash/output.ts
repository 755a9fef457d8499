// Text shapes of lunash output, kept in one place so the simulator and the device parser's
// tests agree on them. Lines end with CRLF as on a PTY.

export const CRLF = '\r\n';
export const PROMPT = 'lunash:>';

export function resultLine(code: number, text: string): string {
  return `Command Result : ${code} (${text})`;
}
export const SUCCESS = resultLine(0, 'Success');
export const SHELL_ERROR = resultLine(65535, 'Luna Shell execution');

/** `Error:  'partition create' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)` */
export function errorLine(command: string, code: string, name: string): string {
  return `Error:  '${command}' failed. (${code} : ${name})`;
}

/** Left-aligned `Label:   value` pairs, as `hsm show` prints them. */
export function keyValues(pairs: [string, string | number][], indent = '   ', width = 34): string[] {
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width - 1)} ${v}`);
}

export function heading(title: string, indent = '   '): string[] {
  return [`${indent}${title}`, `${indent}${'='.repeat(title.length)}`];
}
