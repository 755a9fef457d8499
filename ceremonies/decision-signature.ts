import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './digest';

// Every approve / reject / sign-off is signed (Ed25519): by the approver's own key on the CLI, or
// by the web app's attestation key once it has checked an emailed link. Pure JS on purpose: the
// workflow verifies inside Temporal's sandbox, and the auditor verifies again offline.

export type DecisionKind = 'approve' | 'reject' | 'signoff';
/** An operator's (or, for cancel, the requester's) action, signed as decisions are. */
export type OperatorActionKind = 'retry' | 'abort' | 'cancel';
export type SignedKind = DecisionKind | OperatorActionKind;

/** What a signature covers. `text` is the comment, reason or reference ('' when none); `gate` is
 * the gate, the failed step of an intervention, or '' for a cancel. */
export interface DecisionFields {
  ceremonyId: string;
  gate: string;
  planDigest: string;
  decision: SignedKind;
  actor: string;
  text: string;
  nonce: string;
  /** When it was signed (ISO 8601). */
  at: string;
  /** The challenge the workflow issued when this gate, intervention or cancel point opened in
   * this run (signed message v2); absent only in v1 decisions of histories from before it. */
  challenge?: string;
  /** Who the OpenID Connect provider said signed in when the web app signed a link's decision
   * (signed message v3); absent for a CLI decision, a link without sign-in, and older histories. */
  identity?: SignInIdentity;
}

/** The person as the OpenID Connect provider named them: its issuer and their subject (`sub`),
 * unique and never reassigned within that issuer (an email address may be). */
export interface SignInIdentity {
  issuer: string;
  subject: string;
}

/** The challenge a run issues at one of its points (`gate:<id>`, `intervention:<n>`, `cancel`):
 * a function of the run id (Temporal's, new for every run, even of the same workflow id), so a
 * decision signed for one run is worthless in another, and the auditor recomputes it. */
export function runChallenge(runId: string, point: string): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson({ purpose: 'hsm-ceremonies challenge', runId, point })))).slice(
    0,
    32,
  );
}

export const gatePoint = (gate: string) => `gate:${gate}`;
export const interventionPoint = (n: number) => `intervention:${n}`;
export const CANCEL_POINT = 'cancel';

export interface DecisionSignature {
  alg: 'ed25519';
  /** `ed25519:<base64url of the 32-byte public key>`, as the inventory lists it. */
  publicKey: string;
  /** base64url of the 64-byte signature */
  value: string;
}

/** The exact bytes signed: canonical JSON with the free text reduced to its sha256; v2 adds the
 * run's challenge (v1, without it, is what decisions signed before challenges were); v3 adds the
 * sign-in identity behind a link decision. */
export function decisionMessage(d: DecisionFields): Uint8Array {
  return utf8ToBytes(
    canonicalJson({
      v: d.identity !== undefined ? 3 : d.challenge === undefined ? 1 : 2,
      purpose: 'hsm-ceremonies decision',
      ceremonyId: d.ceremonyId,
      gate: d.gate,
      planDigest: d.planDigest,
      decision: d.decision,
      actor: d.actor,
      textSha256: bytesToHex(sha256(utf8ToBytes(d.text))),
      nonce: d.nonce,
      at: d.at,
      ...(d.challenge === undefined ? {} : { challenge: d.challenge }),
      ...(d.identity === undefined ? {} : { identity: { issuer: d.identity.issuer, subject: d.identity.subject } }),
    }),
  );
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url decoding without Buffer (not available in the workflow sandbox). */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 6) | ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

export function publicKeyBytes(key: string): Uint8Array | undefined {
  if (!key.startsWith('ed25519:')) return undefined;
  const bytes = fromBase64Url(key.slice('ed25519:'.length));
  return bytes?.length === 32 ? bytes : undefined;
}

/** An Ed25519 verification: the workflow's is @noble's (pure JS, for the sandbox); outside the
 * sandbox, the auditor may pass node's (OpenSSL: 30x faster, and no more permissive). */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
const nobleVerify: Ed25519Verify = (signature, message, publicKey) => ed25519.verify(signature, message, publicKey);

/** Does `signature` sign these fields with the key it names? Never throws. */
export function decisionSignatureValid(
  fields: DecisionFields,
  signature: DecisionSignature,
  verify: Ed25519Verify = nobleVerify,
): boolean {
  const key = publicKeyBytes(signature.publicKey);
  const value = fromBase64Url(signature.value);
  if (signature.alg !== 'ed25519' || !key || value?.length !== 64) return false;
  try {
    return verify(value, decisionMessage(fields), key);
  } catch {
    return false;
  }
}
