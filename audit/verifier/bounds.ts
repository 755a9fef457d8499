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
 * strings skipped; it does not validate (the parser does that, once this has passed). */
export function nestingDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
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
    if (!fstatSync(fd).isFile()) return { problem: 'is not a regular file: not read' };
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(1024 * 1024);
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
