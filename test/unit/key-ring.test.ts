import { randomBytes } from 'node:crypto';
import { parseLinkKeys } from '../../ceremonies/approval-links';
import { AesGcmCodec, parsePayloadKeys } from '../../runtime/codec';

// Link keys and payload keys are both key rings (`kid:base64key`, the first is current), parsed
// by one parser; each keeps its own length rule and error text.

const key = (bytes: number) => randomBytes(bytes).toString('base64');

test('entries separated by commas or lines, the first is current, ids kept', () => {
  const a = key(32);
  const b = key(32);
  expect(parsePayloadKeys(` p2:${a} , p1:${b} `).map(([kid, k]) => [kid, k.toString('base64')])).toEqual([
    ['p2', a],
    ['p1', b],
  ]);
  expect(parseLinkKeys(`k2:${a}\nk1:${b}\n`).keys.map(([kid]) => kid)).toEqual(['k2', 'k1']);
});

test('link keys: at least 16 bytes', () => {
  expect(parseLinkKeys(`k1:${key(16)}`).keys[0][1]).toHaveLength(16);
  expect(() => parseLinkKeys(`k1:${key(15)}`)).toThrow(
    'link keys: expected "kid:base64key" entries (at least 16 bytes of key)',
  );
  expect(() => parseLinkKeys('no-colon')).toThrow('link keys: expected "kid:base64key" entries');
  expect(() => parseLinkKeys(' , ')).toThrow('link keys: none configured');
});

test('payload keys: exactly 32 bytes (AES-256)', () => {
  expect(() => parsePayloadKeys(`p1:${key(16)}`)).toThrow('payload key p1: expected 32 bytes (AES-256)');
  expect(() => parsePayloadKeys('p1 = secret')).toThrow('CEREMONY_PAYLOAD_KEYS: expected "kid:base64key" entries');
  expect(() => parsePayloadKeys(',')).toThrow('payload keys: none configured');
  expect(() => new AesGcmCodec([['p1', randomBytes(31)]])).toThrow('payload key p1: expected 32 bytes (AES-256)');
});
