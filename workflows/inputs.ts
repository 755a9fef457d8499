import type { DecisionSignature, SignInIdentity } from '../ceremonies/decision-signature';
import { freeTextProblem } from '../ceremonies/free-text';
import { EMAIL, EMAIL_MESSAGE, NONCE, SHA256_HEX, SLUG, SLUG_MESSAGE } from '../ceremonies/patterns';

// The update and query inputs, checked inside the validators so a bad call is refused before
// anything is written to history. Small hand-written checks on purpose: the workflow bundle
// carries no zod (each cached workflow would hold its own copy).

export interface ApproveInput extends Signed {
  gate: string;
  approver: string;
  comment?: string;
}
export interface RejectInput extends Signed {
  gate: string;
  approver: string;
  reason: string;
}
export interface SignoffInput extends Signed {
  gate: string;
  by: string;
  /** The external signer's reference (e.g. Microsoft's case number). */
  reference: string;
}
export interface ResolveInput extends Partial<Omit<Signed, 'identity'>> {
  action: 'retry' | 'abort';
  /** The failed step this resolves (signed; the step waiting for an intervention). */
  step?: string;
  by: string;
  reason: string;
}
export interface CancelInput extends Partial<Omit<Signed, 'identity'>> {
  by: string;
  reason: string;
}
/** A decision as a page would submit it, asked before anyone signs: may it be recorded? */
export interface CheckDecisionInput {
  kind: 'approve' | 'reject' | 'signoff';
  gate: string;
  actor: string;
  planDigest: string;
  nonce: string;
}
/** Who decided is proven by the signature over these fields, never by a field alone; how the
 * decision came (own key or emailed link) follows from which key signed. */
interface Signed {
  planDigest: string;
  /** Random per decision (the link's own for a link decision): a used nonce is refused. */
  nonce: string;
  /** When it was signed (ISO 8601, UTC). */
  at: string;
  signature: DecisionSignature;
  /** The challenge the gate (intervention, cancel point) opened with in this run, read with it. */
  challenge?: string;
  /** The OpenID Connect issuer and subject of the person signed in when the web app signed a
   * link's decision (the signature covers them). */
  identity?: SignInIdentity;
}

/** What is wrong with an input: one line per field, as `field: problem`. */
export class InvalidInput extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Checks a value; returns the problem, or undefined. */
type Check = (value: unknown) => string | undefined;
type Shape = Record<string, { check: Check; optional?: boolean }>;

const pattern =
  (re: RegExp, message: string, max = 4096): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max && re.test(v) ? undefined : message;
const slug = pattern(SLUG, SLUG_MESSAGE);
const email = pattern(EMAIL, EMAIL_MESSAGE, 254);
const digest = pattern(SHA256_HEX, 'expected the 64-hex-digit sha256 plan digest');
const nonce = pattern(NONCE, 'expected a nonce of 16-128 base64url characters');
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `expected one of ${values.join(', ')}`;
const isoTime: Check = (v) =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/.test(v) &&
  Number.isFinite(Date.parse(v))
    ? undefined
    : 'expected the signing time (ISO 8601, UTC)';
const text =
  (what: string, options: { multiline?: boolean; optional?: boolean; max: number }): Check =>
  (v) => {
    if (typeof v !== 'string') return 'expected text';
    if (v.length > options.max) return `at most ${options.max} characters`;
    if (options.optional && v === '') return undefined;
    const problem = freeTextProblem(v, { multiline: Boolean(options.multiline) });
    if (!problem) return undefined;
    return problem.startsWith('must contain') ? `${what} is required: it ${problem}` : `${what} ${problem}`;
  };
const reason = text('a reason', { multiline: true, max: 2000 });
const signature: Check = (v) => {
  const problems = shapeProblems(v, {
    alg: { check: oneOf(['ed25519']) },
    publicKey: { check: pattern(/^\S{1,100}$/, 'expected a public key') },
    value: { check: pattern(/^\S{1,200}$/, 'expected a signature') },
  });
  return problems.length ? problems.join(', ') : undefined;
};
const challenge = pattern(
  /^[0-9a-f]{32}$/,
  "expected the challenge of the gate (32 hex digits), as the ceremony's status gives it",
);
const identity: Check = (v) => {
  const problems = shapeProblems(v, {
    issuer: { check: pattern(/^https?:\/\/[\x21-\x7e]+$/, 'expected the issuer URL', 2048) },
    subject: { check: pattern(/^[\x21-\x7e]+$/, 'expected the subject (sub)', 255) },
  });
  return problems.length ? problems.join(', ') : undefined;
};
const signed: Shape = {
  planDigest: { check: digest },
  nonce: { check: nonce },
  at: { check: isoTime },
  signature: { check: signature },
  challenge: { check: challenge, optional: true },
  identity: { check: identity, optional: true },
};
/** resolve and cancel: signed now, but histories from before carry them unsigned (the handler
 * replays those; the validator refuses an unsigned one). They carry no sign-in identity. */
const optionallySigned: Shape = Object.fromEntries(
  Object.entries(signed)
    .filter(([k]) => k !== 'identity')
    .map(([k, v]) => [k, { ...v, optional: true }]),
);

/** Problems of `value` against `shape`: a plain object with exactly these fields. */
function shapeProblems(value: unknown, shape: Shape): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return ['input: expected an object'];
  const record = value as Record<string, unknown>;
  const problems = Object.keys(record)
    .filter((key) => !Object.prototype.hasOwnProperty.call(shape, key))
    .map((key) => `input: Unrecognized key: "${key}"`);
  for (const [key, field] of Object.entries(shape)) {
    const v = Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
    const problem = v === undefined ? (field.optional ? undefined : 'required') : field.check(v);
    if (problem) problems.push(`${key}: ${problem}`);
  }
  return problems;
}

/** A parser for one input shape: the value (emails lower-cased) or InvalidInput. */
function parser<T>(shape: Shape, emails: (keyof T & string)[] = []): (value: unknown) => T {
  return (value) => {
    const problems = shapeProblems(value, shape);
    if (problems.length) throw new InvalidInput(problems);
    const out = { ...(value as Record<string, unknown>) };
    for (const key of emails) out[key] = String(out[key]).toLowerCase();
    return out as T;
  };
}

export const parseApproveInput = parser<ApproveInput>(
  {
    gate: { check: slug },
    approver: { check: email },
    comment: { check: text('the comment', { multiline: true, optional: true, max: 2000 }), optional: true },
    ...signed,
  },
  ['approver'],
);
export const parseRejectInput = parser<RejectInput>(
  { gate: { check: slug }, approver: { check: email }, reason: { check: reason }, ...signed },
  ['approver'],
);
export const parseSignoffInput = parser<SignoffInput>(
  {
    gate: { check: slug },
    by: { check: email },
    reference: { check: text("the signer's reference", { max: 200 }) },
    ...signed,
  },
  ['by'],
);
export const parseResolveInput = parser<ResolveInput>(
  {
    action: { check: oneOf(['retry', 'abort']) },
    step: { check: slug, optional: true },
    by: { check: email },
    reason: { check: reason },
    ...optionallySigned,
  },
  ['by'],
);
export const parseCancelInput = parser<CancelInput>(
  { by: { check: email }, reason: { check: reason }, ...optionallySigned },
  ['by'],
);
export const parseCheckDecisionInput = parser<CheckDecisionInput>(
  {
    kind: { check: oneOf(['approve', 'reject', 'signoff']) },
    gate: { check: slug },
    actor: { check: email },
    planDigest: { check: digest },
    nonce: { check: nonce },
  },
  ['actor'],
);
