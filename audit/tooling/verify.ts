import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, parseHistoryJson, type AuditEvent } from '../verifier/history';
import { auditFacts, checkInvariants, INVARIANTS, type AuditFacts, type Violation } from '../verifier/invariants';
import { CHECKS, type VerifyResult } from '../verifier/verdict';
import { historyFromExport, historyShapeProblems } from '../verifier/history-shape';
import type { PayloadCodec } from '@temporalio/common';
import { ZodError } from 'zod';
import { dataConverterFor } from '../../runtime/codec';
import { availableParallelism } from 'node:os';
import { decodedHistory, replayHistories } from './replay';
import { cachedReplayBundle } from './replay-bundle';
import { manifestPath, manifestSignatureValid, sha256Hex, type AuditManifest } from './export';
import { anchorName, keyOutsideAnchor, type SignedAct, type TrustAnchor } from '../verifier/trust-anchor';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  MAX_MANIFEST_BYTES,
  nestingDeeperThan,
  readBoundedFile,
} from '../verifier/bounds';

export { CHECKS, type VerifyCheck, type VerifyResult } from '../verifier/verdict';

/** The checks in the order a verdict lists them: the anchor's check right after the signatures'. */
const CHECK_ORDER: string[] = [
  ...Object.values(CHECKS).filter((c) => c !== CHECKS.keys),
  ...Object.values(INVARIANTS).flatMap((name) =>
    name === INVARIANTS['decisions-signed'] ? [name, CHECKS.keys] : [name],
  ),
];

export interface VerifyOptions {
  /** Ed25519 public key (PEM) that signs the manifests: with it, a missing or unsigned manifest fails. */
  publicKeyPem?: string;
  /** A history without a manifest fails (else its integrity is "not proven"). */
  requireManifest?: boolean;
  /** A manifest without a signature checked against the public key fails (implies requireManifest). */
  requireSignature?: boolean;
  /** A prebuilt workflow bundle (tests); otherwise the current code's, from the bundle cache. */
  workflowBundlePath?: string;
  /** Where bundles of the code are kept (default ~/.cache/hsm-ceremonies/replay-bundles). */
  bundleCacheDir?: string;
  /** Payload keys, when the ceremonies ran with payload encryption. */
  payloadKeys?: string;
  /** How long one replay may take (default 30 s). */
  replayTimeLimitMs?: number;
  /** Which histories to replay: all (default), none, or a sample of this many (spread evenly). */
  replay?: 'all' | 'none' | { sample: number };
  /** How many replay processes run at once (default: the machine's cores). */
  replayProcesses?: number;
  /** The bundler's and the SDK's logs to stderr; otherwise they go nowhere. */
  verbose?: boolean;
  /** The keys the auditor trusts (`--keys`): every signature must be by one of them. Without
   * it, signatures are checked only against keys the history carries ("not proven"). */
  trustAnchor?: TrustAnchor;
  /** A history file larger than this many bytes is not read (default 128 MiB). */
  maxBytes?: number;
  /** A history nested deeper than this (arrays and objects) is not parsed (default 256). */
  maxDepth?: number;
}

/** History files in a directory (or the file itself), manifests excluded; a path that cannot
 * be listed is returned as it is, and gets its own verdict. */
function historyFiles(path: string): string[] {
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    return [path];
  }
  if (!directory) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.manifest.json'))
    .sort()
    .map((f) => join(path, f));
}

// ---- recording a check: problems and notes stay as before, beside the structured list ----

function held(result: VerifyResult, check: string): void {
  result.checks.push({ check, status: 'held' });
}

function failed(result: VerifyResult, check: string, problems: string[]): void {
  result.problems.push(...problems);
  result.checks.push({ check, status: 'failed', detail: problems.join('; ') });
}

function notProven(result: VerifyResult, check: string, detail: string, note: string): void {
  result.notes.push(note);
  result.checks.push({ check, status: 'not-proven', detail });
}

/** Why a missing manifest or signature fails instead of being "not proven". */
function requiredBy(options: VerifyOptions): string | undefined {
  if (options.publicKeyPem) return 'an audit public key is configured';
  if (options.requireSignature) return '--require-signature';
  if (options.requireManifest) return '--require-manifest';
  return undefined;
}

function readManifest(path: string, options: VerifyOptions, result: VerifyResult): AuditManifest | undefined {
  if (!existsSync(path)) {
    const required = requiredBy(options);
    if (required) failed(result, CHECKS.integrity, [`no manifest ${path} (required: ${required})`]);
    else notProven(result, CHECKS.integrity, 'no manifest', `integrity not proven: no manifest (${path})`);
    return undefined;
  }
  try {
    const read = readBoundedFile(path, MAX_MANIFEST_BYTES);
    if ('problem' in read) throw new Error(read.problem);
    const text = read.text;
    if (nestingDeeperThan(text, DEFAULT_MAX_DEPTH))
      throw new Error(`too deep: nested more than ${DEFAULT_MAX_DEPTH} levels`);
    return JSON.parse(text) as AuditManifest;
  } catch (err) {
    failed(result, CHECKS.integrity, [`the manifest ${path} cannot be read: ${(err as Error).message}`]);
    return undefined;
  }
}

/** Hash and signature: is this the history that was exported, by whom the key says? */
function checkIntegrity(text: string, manifest: AuditManifest, options: VerifyOptions, result: VerifyResult): void {
  if (sha256Hex(text) === manifest.historySha256) held(result, CHECKS.integrity);
  else
    failed(result, CHECKS.integrity, [
      'the history does not match the sha256 in its manifest: it was changed after export',
    ]);
  if (options.publicKeyPem) {
    if (!manifest.signature)
      failed(result, CHECKS.signature, [
        'the manifest is not signed, and an audit public key is configured: its integrity cannot be proven',
      ]);
    else if (manifestSignatureValid(manifest, options.publicKeyPem)) held(result, CHECKS.signature);
    else failed(result, CHECKS.signature, ['the manifest signature does not verify']);
  } else if (manifest.signature) {
    const why =
      'the manifest is signed but no public key was given to check it (--public-key or CEREMONY_AUDIT_PUBLIC_KEY_FILE)';
    if (options.requireSignature) failed(result, CHECKS.signature, [why]);
    else
      notProven(
        result,
        CHECKS.signature,
        'signed, but not checked: no public key given',
        `integrity not proven: ${why}`,
      );
  } else if (options.requireSignature) {
    failed(result, CHECKS.signature, ['the manifest is not signed (required: --require-signature)']);
  } else {
    notProven(
      result,
      CHECKS.signature,
      'manifest unsigned',
      'integrity not proven: manifest unsigned (sign exports with --signing-key, verify with --public-key)',
    );
  }
}

/** The manifest says what it describes: compare each claim with the history itself. */
function checkManifestClaims(manifest: AuditManifest, facts: AuditFacts, result: VerifyResult): void {
  const claims: [string, unknown, unknown][] = [
    ['ceremony id', manifest.ceremonyId, facts.ceremonyId],
    ['run id', manifest.runId, facts.runId],
    ['plan digest', manifest.planDigest, facts.digest],
    ['event count', manifest.eventCount, facts.eventCount],
    ['last event id', manifest.lastEventId, facts.lastEventId],
    ['close event', manifest.closeEvent, facts.close?.type ?? 'running'],
  ];
  const problems: string[] = [];
  for (const [what, claimed, actual] of claims) {
    if (claimed === undefined)
      problems.push(`the manifest does not record the ${what} (exported by an older version?): export it again`);
    else if (claimed !== actual)
      problems.push(`the manifest's ${what} is ${String(claimed)}, the history's is ${String(actual)}`);
  }
  if (problems.length) failed(result, CHECKS.manifest, problems);
  else held(result, CHECKS.manifest);
}

/** Each invariant by name: held, or failed with the events that break it. A history exported
 * while its workflow ran, whole up to the event its manifest names, is "in progress", not
 * truncated: its completeness is not proven, everything else is checked on what is there. */
function recordInvariants(
  violations: Violation[],
  facts: AuditFacts,
  manifest: AuditManifest | undefined,
  result: VerifyResult,
): void {
  const inProgress = inProgressAtExport(manifest, facts);
  const unsignedBefore = unsignedFromBefore(facts);
  result.violations = inProgress
    ? violations.filter((v) => v.invariant !== 'history-complete')
    : violations.map((v) => withManifestCount(v, facts, manifest));
  for (const [id, name] of Object.entries(INVARIANTS)) {
    const broken = result.violations.filter((v) => v.invariant === id);
    if (id === 'history-complete' && inProgress) {
      const detail = `in progress at export, complete up to event ${facts.lastEventId}`;
      notProven(
        result,
        name,
        detail,
        `${detail}: the workflow was running when exported (${manifest!.exportedAt}); export it again once it has closed to prove the rest`,
      );
    } else if (broken.length === 0 && id === 'operator-actions-signed' && unsignedBefore) {
      notProven(result, name, unsignedBefore, `${name}: ${unsignedBefore}`);
    } else if (broken.length === 0) held(result, name);
    else
      result.checks.push({
        check: name,
        status: 'failed',
        detail: broken.map((v) => `events ${v.eventIds.join(', ')}: ${v.detail}`).join('; '),
      });
  }
}

/** The manifest says the workflow was running at export, and the history is all of what it says. */
function inProgressAtExport(manifest: AuditManifest | undefined, facts: AuditFacts): boolean {
  return (
    manifest?.closeEvent === 'running' &&
    !facts.close &&
    manifest.eventCount === facts.eventCount &&
    manifest.lastEventId === facts.lastEventId
  );
}

/** An unclosed history shorter than its manifest says is truncated: say so, with the count. */
function withManifestCount(v: Violation, facts: AuditFacts, manifest: AuditManifest | undefined): Violation {
  if (v.invariant !== 'history-complete' || !manifest || !(facts.lastEventId < manifest.lastEventId)) return v;
  return {
    ...v,
    detail: `truncated: the history ends at event ${facts.lastEventId}, its manifest records ${manifest.eventCount} events up to event ${manifest.lastEventId}`,
  };
}

/** The signed acts of a history whose keys the anchor must vouch for: every decision, resolve
 * and cancel signed. */
export function signedActs(facts: AuditFacts): SignedAct[] {
  return [
    ...facts.decisions
      .filter((d) => d.signature)
      .map((d) => ({
        eventId: d.eventId,
        what: d.name,
        signer: d.actor,
        on: `gate ${d.gate}`,
        publicKey: String(d.signature!.publicKey),
      })),
    ...facts.operatorActions.flatMap((a) =>
      a.publicKey
        ? [
            {
              eventId: a.eventId,
              what: a.name,
              signer: a.by,
              on: a.step ? `step ${a.step}` : 'the ceremony',
              publicKey: a.publicKey,
            },
          ]
        : [],
    ),
  ].sort((x, y) => x.eventId - y.eventId);
}

/** Every signature's key against the auditor's anchor; without one, "not proven". */
function checkTrustAnchor(facts: AuditFacts, anchor: TrustAnchor | undefined, result: VerifyResult): void {
  const acts = signedActs(facts);
  if (!anchor) {
    if (acts.length === 0) held(result, CHECKS.keys);
    else
      notProven(
        result,
        CHECKS.keys,
        'checked only against keys the history itself carries (give --keys)',
        'decision keys not proven: the signatures were checked only against the keys recorded in the history (verify with --keys <inventory or key list>)',
      );
    return;
  }
  const outside = acts.flatMap((a) => {
    const why = keyOutsideAnchor(a.signer, a.publicKey, anchor);
    return why ? [`${a.what} by ${a.signer}${a.on ? ` on ${a.on}` : ''} (event ${a.eventId}) is ${why}`] : [];
  });
  // a resolve or cancel with no signature has no key the anchor could vouch for (a history from
  // before they were signed, or one whose patch marker was taken out): the auditor cannot take it
  for (const a of facts.operatorActions.filter((x) => x.via === 'unsigned')) {
    outside.push(
      `${a.name} by ${a.by}${a.step ? ` on step ${a.step}` : ''} (event ${a.eventId}) is not signed: no key vouches for it`,
    );
  }
  if (outside.length) failed(result, CHECKS.keys, outside);
  else
    result.checks.push({
      check: CHECKS.keys,
      status: 'held',
      detail: `${acts.length} signature${acts.length === 1 ? '' : 's'}, every key in ${anchorName(anchor)}`,
    });
}

/** A run from before resolve and cancel were signed took them unsigned: who acted is then only
 * the history's word (not proven), not a failure. */
function unsignedFromBefore(facts: AuditFacts): string | undefined {
  const unsigned = facts.operatorActions.filter((a) => a.via === 'unsigned');
  if (facts.challenged || unsigned.length === 0) return undefined;
  return `events ${unsigned.map((a) => a.eventId).join(', ')}: unsigned, recorded before resolve and cancel were signed`;
}

/** completed, rejected, … as the ceremony returned it; else how the workflow closed. */
function outcomeOf(facts: AuditFacts): string {
  if (!facts.close) return 'running';
  return (
    facts.close.phase ??
    facts.close.type
      .replace(/^EVENT_TYPE_WORKFLOW_EXECUTION_/, '')
      .toLowerCase()
      .replace(/_/g, ' ')
  );
}

type Checked = { workflowId: string; history: unknown; result: VerifyResult };

/** The checks that read one history (and its manifest, if any) directly; what can be replayed
 * is returned for the replay. */
async function checkHistory(
  file: string,
  codecs: PayloadCodec[],
  options: VerifyOptions,
  result: VerifyResult,
): Promise<Checked | undefined> {
  const text = boundedText(file, options, result);
  if (text === undefined) return undefined;
  const manifest = readManifest(manifestPath(file), options, result);
  if (manifest) {
    result.ceremonyId = manifest.ceremonyId;
    checkIntegrity(text, manifest, options, result);
  }
  let history: unknown;
  try {
    history = historyFromExport(JSON.parse(text));
  } catch (err) {
    failed(result, CHECKS.wellFormed, [`the history cannot be read: ${(err as Error).message}`]);
    return undefined;
  }
  const shape = historyShapeProblems(history);
  const malformed = shape.length ? [`the history is not well formed: ${shape.join('; ')}`] : [];
  let events: AuditEvent[];
  let facts: AuditFacts;
  let violations: Violation[];
  try {
    if (codecs.length) history = await decodedHistory(history, codecs);
    events = await auditEvents(parseHistoryJson(history));
    facts = auditFacts(events);
    violations = checkInvariants(events, facts);
  } catch (err) {
    failed(result, CHECKS.wellFormed, malformed.length ? malformed : [`the history cannot be read: ${readError(err)}`]);
    return undefined;
  }
  Object.assign(result, { kind: facts.plan.kind, hsm: facts.plan.hsm, outcome: outcomeOf(facts) });
  result.ceremonyId ??= facts.ceremonyId;
  if (malformed.length) failed(result, CHECKS.wellFormed, malformed);
  else held(result, CHECKS.wellFormed);
  if (manifest) checkManifestClaims(manifest, facts, result);
  recordInvariants(violations, facts, manifest, result);
  checkTrustAnchor(facts, options.trustAnchor, result);
  if (malformed.length) {
    // the replayer trusts the shape of what it is fed (see history-shape.ts)
    notProven(
      result,
      CHECKS.replay,
      'not replayed: the history is not well formed',
      'not replayed: the history is not well formed',
    );
    return undefined;
  }
  return { workflowId: facts.ceremonyId || file, history, result };
}

/** Why the history cannot be read, in a line: a schema's first problems by path, else the message. */
function readError(err: unknown): string {
  if (err instanceof ZodError)
    return `its plan is not valid: ${err.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(plan)'}: ${i.message}`)
      .join('; ')}`;
  return (err as Error).message;
}

/** The history's text, if it is within the bounds (bytes, then nesting); else its verdict says
 * which it broke, and nothing of it is parsed. */
function boundedText(file: string, options: VerifyOptions, result: VerifyResult): string | undefined {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    failed(result, CHECKS.wellFormed, [
      `the history cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
    return undefined;
  }
  if (size > maxBytes) {
    failed(result, CHECKS.wellFormed, [
      `too large: ${size} bytes, more than the limit of ${maxBytes} (--max-bytes): not read`,
    ]);
    return undefined;
  }
  // what the size said is not trusted: a link to /dev/zero says 0, a FIFO never ends
  const read = readBoundedFile(file, maxBytes);
  if ('problem' in read) {
    failed(result, CHECKS.wellFormed, [
      `the history ${read.problem}${read.problem.startsWith('is too large') ? ' (--max-bytes)' : ''}`,
    ]);
    return undefined;
  }
  const text = read.text;
  if (nestingDeeperThan(text, maxDepth)) {
    failed(result, CHECKS.wellFormed, [
      `too deep: arrays and objects nested more than ${maxDepth} levels (--max-depth): not parsed`,
    ]);
    return undefined;
  }
  return text;
}

/** Verify in two parts: the checks that read each history directly (hash, signature, manifest,
 * invariants), for every history; then the replay with the current workflow code, of all of
 * them, a sample, or none, spread over several processes. Payloads are decoded once. */
export async function verifyHistories(paths: string[], options: VerifyOptions = {}): Promise<VerifyResult[]> {
  const codecs = dataConverterFor(options.payloadKeys)?.payloadCodecs ?? [];
  const checked: Checked[] = [];
  const results: VerifyResult[] = [];
  for (const file of paths.flatMap(historyFiles)) {
    const result: VerifyResult = {
      file,
      ok: false,
      checks: [],
      problems: [],
      violations: [],
      notes: [],
      replayed: false,
    };
    results.push(result);
    try {
      const entry = await checkHistory(file, codecs, options, result);
      if (entry) checked.push(entry);
    } catch (err) {
      // whatever one file does to the checks, the others still get their verdicts
      failed(result, CHECKS.wellFormed, [`the history cannot be checked: ${(err as Error).message}`]);
    }
  }
  await replayChecked(checked, options);
  for (const r of results) {
    r.checks.sort((a, b) => CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check));
    r.ok = !r.checks.some((c) => c.status === 'failed');
  }
  return results;
}

/** The replays, bounded in time, spread over processes; what is not replayed says so. */
async function replayChecked(checked: Checked[], options: VerifyOptions): Promise<void> {
  const mode = options.replay ?? 'all';
  const chosen = mode === 'all' ? checked : mode === 'none' ? [] : evenSample(checked, mode.sample);
  const replayed = new Set(chosen);
  for (const entry of checked) {
    if (replayed.has(entry)) continue;
    const why =
      mode === 'none'
        ? 'not replayed (--no-replay): the checks from the history alone were made'
        : `not replayed: a sample of ${chosen.length} of ${checked.length} histories was`;
    notProven(entry.result, CHECKS.replay, why, why);
  }
  if (chosen.length === 0) return;
  let workflowBundlePath: string;
  try {
    workflowBundlePath =
      options.workflowBundlePath ??
      (await cachedReplayBundle({ cacheDir: options.bundleCacheDir, verbose: options.verbose })).path;
  } catch (err) {
    for (const entry of chosen)
      failed(entry.result, CHECKS.replay, [
        `the replay could not run: the workflow code could not be bundled: ${(err as Error).message}`,
      ]);
    return;
  }
  const lanes = Math.max(
    1,
    Math.min(
      options.replayProcesses ?? Math.min(availableParallelism(), Math.ceil(chosen.length / MIN_PER_PROCESS)),
      chosen.length,
    ),
  );
  const byLane = Array.from({ length: lanes }, (_, lane) => chosen.filter((_, i) => i % lanes === lane));
  await Promise.all(
    byLane.map(async (entries) => {
      const outcomes = await replayHistories(
        entries.map(({ workflowId, history }) => ({ workflowId, history })),
        // without --verbose the replayer's output is kept only to explain a crash
        {
          workflowBundlePath,
          timeLimitMs: options.replayTimeLimitMs,
          verbose: options.verbose,
          ...(options.verbose ? {} : { onLog: () => {} }),
        },
      ).catch((err: Error) =>
        entries.map(() => ({ error: `the replay could not run: ${err.message}`, kind: undefined })),
      );
      outcomes.forEach((o, i) => {
        entries[i].result.replayed = true;
        if (o.error)
          failed(entries[i].result, CHECKS.replay, [
            o.kind === 'replay' ? `replay with the current workflow code failed: ${o.error}` : o.error,
          ]);
        else held(entries[i].result, CHECKS.replay);
      });
    }),
  );
}

/** A replay process costs a start (~0.5 s): not worth it for fewer histories than this. */
const MIN_PER_PROCESS = 25;

/** `n` of `items`, spread evenly over them (the first, then every len/n-th). */
function evenSample<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items;
  return Array.from({ length: Math.max(0, n) }, (_, i) => items[Math.floor((i * items.length) / n)]);
}
