import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nestingDeeperThan, parseByteCount, readBoundedFile } from '../../audit/verifier/bounds';
import { keyOutsideAnchor, parseTrustAnchor } from '../../audit/verifier/trust-anchor';

const key = (c: string) => `ed25519:${c.repeat(43)}`;

test('nesting is counted on the raw text, brackets inside strings (escaped quotes too) not counted', () => {
  expect(nestingDeeperThan('{"a":[[1]]}', 3)).toBe(false);
  expect(nestingDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
  expect(nestingDeeperThan(`{"s":"${'['.repeat(1000)}"}`, 3)).toBe(false);
  expect(nestingDeeperThan(`{"s":"\\"${'{'.repeat(10)}"}`, 3)).toBe(false);
  expect(nestingDeeperThan('['.repeat(200_000), 256)).toBe(true);
});

test('a string ends at the first quote after an even run of backslashes; an unterminated one hides nothing', () => {
  // `\\` is an escaped backslash: the string ends at the quote after it, and the brackets count
  expect(nestingDeeperThan(String.raw`{"s":"a\\","t":[[[1]]]}`, 3)).toBe(true);
  expect(nestingDeeperThan(String.raw`{"s":"a\\\\","t":[[[1]]]}`, 3)).toBe(true);
  // an odd run escapes the quote: the brackets are still in the string
  expect(nestingDeeperThan(String.raw`{"s":"a\\\"[[[[","t":1}`, 3)).toBe(false);
  expect(nestingDeeperThan(String.raw`{"s":"\"[[[[","t":[1]}`, 3)).toBe(false);
  // unterminated: nothing after the quote counts, and the parser refuses the text
  expect(nestingDeeperThan('{"s":"[[[[[', 3)).toBe(false);
  expect(nestingDeeperThan('[[[[{"s":"', 3)).toBe(true);
});

test('a bounded read returns the whole file across reads, and refuses one over the limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bounded-'));
  const big = join(dir, 'big.json');
  const text = `["${'é'.repeat(1_500_000)}"]`; // 3 MB of UTF-8: several reads, a character split between two
  writeFileSync(big, text);
  expect(readBoundedFile(big, 4 * 1024 * 1024)).toEqual({ text });
  expect(readBoundedFile(big, 1024 * 1024)).toEqual({
    problem: `is too large: more than the limit of ${1024 * 1024} bytes: not read`,
  });
  const small = join(dir, 'small.json');
  writeFileSync(small, '{}');
  expect(readBoundedFile(small, 1)).toEqual({ problem: 'is too large: more than the limit of 1 bytes: not read' });
  expect(readBoundedFile(small, 2)).toEqual({ text: '{}' });
});

test('byte counts: whole numbers with K, M or G; anything else is refused', () => {
  expect([
    parseByteCount('1048576'),
    parseByteCount('512K'),
    parseByteCount('64M'),
    parseByteCount('1G'),
    parseByteCount('2MiB'),
  ]).toEqual([1048576, 512 * 1024, 64 * 1024 ** 2, 1024 ** 3, 2 * 1024 ** 2]);
  for (const bad of ['', '0', '-1', '1.5M', 'lots', '1T']) expect(parseByteCount(bad)).toBeUndefined();
});

test('a key list (YAML or JSON) and an inventory are both anchors; the key check names what is outside', () => {
  const list = parseTrustAnchor(
    JSON.stringify({ revision: 7, signingKeys: { 'Alice@Example.com': [key('A')] }, attestationKeys: [key('W')] }),
    'keys.json',
  );
  expect(keyOutsideAnchor('alice@example.com', key('A'), list)).toBeUndefined();
  expect(keyOutsideAnchor('bob@example.com', key('W'), list)).toBeUndefined(); // the web app signs for anyone it checked
  expect(keyOutsideAnchor('bob@example.com', key('A'), list)).toBe(
    `signed with ${key('A')}, which is neither bob@example.com's key nor a web app key in keys.json (revision 7)`,
  );
  expect(keyOutsideAnchor('alice@example.com', key('F'), list)).toMatch(/neither alice@example.com's key/);

  const sample = readFileSync(join(__dirname, '..', '..', 'config', 'inventory.yaml'), 'utf8');
  const inventory = parseTrustAnchor(
    `${sample}\nsigningKeys:\n  carol@example.com: ["${key('C')}"]\n`,
    'inventory.yaml',
  );
  expect(inventory.revision).toBeUndefined();
  expect(keyOutsideAnchor('carol@example.com', key('C'), inventory)).toBeUndefined();
  expect(keyOutsideAnchor('carol@example.com', key('A'), inventory)).toBe(
    `signed with ${key('A')}, which is neither carol@example.com's key nor a web app key in inventory.yaml`,
  );
});

test('a file that is neither is refused, saying why', () => {
  expect(() => parseTrustAnchor('signingKeys: [1, 2', 'k.yaml')).toThrow(/^k.yaml: not valid YAML or JSON/);
  expect(() => parseTrustAnchor('{ "signingKeys": { "alice@example.com": ["ed25519:short"] } }', 'k.json')).toThrow(
    /neither an inventory \(with hsms\) nor a key list .*signingKeys\.alice@example\.com\.0/,
  );
  expect(() => parseTrustAnchor('{ "signingKeys": {}, "extra": 1 }', 'k.json')).toThrow(
    /Unrecognized key|unrecognized/i,
  );
  expect(() => parseTrustAnchor('hsms: {}\n', 'inv.yaml')).toThrow(/inv.yaml/);
});
