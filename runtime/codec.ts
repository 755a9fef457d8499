import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parseKeyRing, type KeyRing } from '../ceremonies/key-ring';

// Optional payload encryption: every payload (plans, evidence, decisions) is AES-256-GCM
// encrypted before it leaves the client or the worker, so the history, the Web UI and an export
// are unreadable without the key. Keys carry ids so they rotate: the first encrypts, all decrypt.

const ENCODING = 'binary/encrypted';
const PAYLOAD_KEYS_EMPTY = 'payload keys: none configured';
const keyLengthProblem = (kid: string, key: Buffer) =>
  key.length === 32 ? undefined : `payload key ${kid}: expected 32 bytes (AES-256)`;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined | null) => (b ? new TextDecoder().decode(b) : '');

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {
    if (keys.length === 0) throw new Error(PAYLOAD_KEYS_EMPTY);
    for (const [kid, key] of keys) {
      const problem = keyLengthProblem(kid, key);
      if (problem) throw new Error(problem);
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const [kid, key] = this.keys[0];
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCODING), 'encryption-key-id': utf8(kid) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCODING) return payload;
      const kid = text(payload.metadata?.['encryption-key-id']);
      const key = this.keys.find(([id]) => id === kid)?.[1];
      if (!key) throw new Error(`payload encrypted with key "${kid}", which is not configured`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** `kid:base64(32 bytes),kid2:…` (the first encrypts). */
export function parsePayloadKeys(spec: string): KeyRing {
  return parseKeyRing(spec, {
    malformed: 'CEREMONY_PAYLOAD_KEYS: expected "kid:base64key" entries',
    empty: PAYLOAD_KEYS_EMPTY,
    lengthProblem: keyLengthProblem,
  });
}

/** The data converter for client, worker and replay: the same on all three. */
export function dataConverterFor(payloadKeys: string | undefined): DataConverter | undefined {
  return payloadKeys ? { payloadCodecs: [new AesGcmCodec(parsePayloadKeys(payloadKeys))] } : undefined;
}
