import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';

// Limits on what the verifier parses, checked on the raw file before any parsing: an export is
// the auditee's file, and a deeply nested or huge one must get a verdict, not crash the verifier
// (every reader of the parsed JSON recurses into it).

/** A history file larger than this is not read (`--max-bytes`). Temporal refuses a history over
 * 50 MiB of protobuf; its JSON export (payloads in base64) stays well under this. */
export const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;
/** Nesting of arrays and objects beyond this is refused (`--max-depth`). An export nests about 10
 * levels (a failure's chain of causes a few more); the verifier's recursion copes with thousands. */
export const DEFAULT_MAX_DEPTH = 256;
/** A manifest is a few hundred bytes. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Does the JSON text nest arrays/objects deeper than `max`? One pass over the characters,
 * strings skipped (most of an export is in strings: its payloads in base64); it does not validate
 * (the parser does that, once this has passed). */
export function nestingDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) return false; // an unterminated string: the parser refuses it
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Where the string opened at `open` ends: the next quote not escaped (preceded by an even run of
 * backslashes), or -1. */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

/** A byte count as the flags take it: a whole number, optionally with K, M or G (powers of 1024). */
export function parseByteCount(value: string): number | undefined {
  const m = /^(\d{1,12})([KMG]i?B?)?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const n = Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** A file's text, read only if it is a regular file (not a symlink, device or FIFO: a link to
 * /dev/zero has size 0 and never ends, a FIFO blocks) and at most `maxBytes` long; else why not.
 * At most `maxBytes + 1` bytes are read, whatever the file claims to hold. */
export function readBoundedFile(path: string, maxBytes: number): { text: string } | { problem: string } {
  let fd: number | undefined;
  try {
    const link = lstatSync(path);
    if (!link.isFile())
      return {
        problem: `is not a regular file (${link.isSymbolicLink() ? 'a symbolic link' : 'a device, FIFO or socket'}): not read`,
      };
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { problem: 'is not a regular file: not read' };
    const chunks: Buffer[] = [];
    let total = 0;
    // sized to the file as it is now (if it grows, the loop reads on) and not zero-filled: only the
    // bytes a read filled are kept
    const chunk = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stat.size + 1, 64 * 1024), 1024 * 1024));
    for (;;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes + 1 - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > maxBytes) return { problem: `is too large: more than the limit of ${maxBytes} bytes: not read` };
    }
    return { text: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    return { problem: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
