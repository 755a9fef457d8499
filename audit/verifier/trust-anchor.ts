import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmailSchema } from '../../ceremonies/identifiers';
import { parseInventory, PublicKeySchema } from '../../ceremonies/inventory';
import { own } from '../../ceremonies/own';

// The keys the auditor trusts, brought by the auditor (`audit verify --keys <file>`): a history
// carries its deciders' public keys in the recorded policy check, and whoever can rewrite an
// unsigned export can put a key of their own there and sign with it. Every signature the verifier
// checks is also checked against this anchor with `keyOutsideAnchor`.

export interface TrustAnchor {
  /** The file it was read from, and the revision it names (a key list's `revision`), for the verdict. */
  source: string;
  revision?: string;
  /** email -> the Ed25519 public keys (`ed25519:…`) that may sign as that person. */
  signingKeys: ReadonlyMap<string, readonly string[]>;
  /** The web app's keys: they sign for a person after checking an emailed link or a login. */
  attestationKeys: readonly string[];
}

/** The key list form: `{ revision, signingKeys: { email: [keys] }, attestationKeys: [keys] }`, YAML or JSON. */
export const KeyListSchema = z
  .object({
    revision: z.union([z.string().min(1).max(200), z.number()]).optional(),
    signingKeys: z.record(EmailSchema, z.array(PublicKeySchema).min(1)),
    attestationKeys: z.array(PublicKeySchema).default([]),
  })
  .strict();

/** A key file is small: anything larger is not one. */
const MAX_KEY_FILE_BYTES = 4 * 1024 * 1024;

/** Read an inventory (it has `hsms`) or a key list; a file that is neither is refused with why. */
export function loadTrustAnchor(path: string): TrustAnchor {
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_KEY_FILE_BYTES)
    throw new Error(`${path}: a key file of ${text.length} bytes is too large (at most ${MAX_KEY_FILE_BYTES})`);
  return parseTrustAnchor(text, path);
}

export function parseTrustAnchor(text: string, source: string): TrustAnchor {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`${source}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof raw === 'object' && raw !== null && Object.prototype.hasOwnProperty.call(raw, 'hsms')) {
    const inventory = parseInventory(text, source);
    return anchorOf(source, undefined, inventory.signingKeys, inventory.attestationKeys);
  }
  const parsed = KeyListSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new Error(
      `${source}: neither an inventory (with hsms) nor a key list ({ revision, signingKeys, attestationKeys }): ${why}`,
    );
  }
  const list = parsed.data;
  return anchorOf(
    source,
    list.revision === undefined ? undefined : String(list.revision),
    list.signingKeys,
    list.attestationKeys,
  );
}

function anchorOf(
  source: string,
  revision: string | undefined,
  signingKeys: Record<string, string[]>,
  attestationKeys: string[],
): TrustAnchor {
  const keys = new Map<string, string[]>();
  for (const email of Object.keys(signingKeys)) keys.set(email.toLowerCase(), [...(own(signingKeys, email) ?? [])]);
  return {
    source,
    ...(revision !== undefined ? { revision } : {}),
    signingKeys: keys,
    attestationKeys: [...attestationKeys],
  };
}

/** The anchor as a verdict names it: `keys.yaml` or `keys.yaml (revision 42)`. */
export const anchorName = (anchor: TrustAnchor) =>
  `${anchor.source}${anchor.revision !== undefined ? ` (revision ${anchor.revision})` : ''}`;

/**
 * Is `publicKey` one the anchor lets sign for `signer` (that person's own key, or a web app
 * attestation key)? Undefined when it is; else why not, as a verdict says it. The one key check
 * for every kind of signature the verifier checks (decisions, and any other signed act).
 */
export function keyOutsideAnchor(signer: string, publicKey: string, anchor: TrustAnchor): string | undefined {
  if (anchor.signingKeys.get(signer.toLowerCase())?.includes(publicKey)) return undefined;
  if (anchor.attestationKeys.includes(publicKey)) return undefined;
  return `signed with ${publicKey}, which is neither ${signer}'s key nor a web app key in ${anchorName(anchor)}`;
}

/** A signed act in a history, as the anchor check reads it. */
export interface SignedAct {
  eventId: number;
  /** approve, reject, signoff, … */
  what: string;
  signer: string;
  /** What it acts on, as a verdict says it (`gate approve`, `step backup`), when it names one. */
  on?: string;
  publicKey: string;
}
