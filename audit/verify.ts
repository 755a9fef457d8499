import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, parseHistoryJson } from './history';
import { auditFacts, checkInvariants, type Violation } from './invariants';
import { dataConverterFor } from '../runtime/codec';
import { availableParallelism } from 'node:os';
import { decodedHistory, replayHistories } from './replay';
import { cachedReplayBundle } from './replay-bundle';
import { manifestPath, manifestSignatureValid, sha256Hex, type AuditManifest } from './export';

export interface VerifyResult {
  file: string;
  ceremonyId?: string;
  ok: boolean;
  /** What fails the verdict. */
  problems: string[];
  violations: Violation[];
  /** What the verdict cannot prove, without failing it (e.g. an unsigned manifest). */
  notes: string[];
  /** whether the replay with the current code ran (and then its failure is among the problems) */
  replayed: boolean;
}

export interface VerifyOptions {
  /** Ed25519 public key (PEM) that signs the manifests: with it, an unsigned manifest fails. */
  publicKeyPem?: string;
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
}

/** History files in a directory (or the file itself), manifests excluded. */
export function historyFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.manifest.json'))
    .sort()
    .map((f) => join(path, f));
}

function readManifest(path: string, result: VerifyResult): AuditManifest | undefined {
  if (!existsSync(path)) {
    result.problems.push(`no manifest ${path}`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AuditManifest;
  } catch (err) {
    result.problems.push(`the manifest ${path} cannot be read: ${(err as Error).message}`);
    return undefined;
  }
}

/** Hash and signature: is this the history that was exported, by whom the key says? */
function checkIntegrity(text: string, manifest: AuditManifest, options: VerifyOptions, result: VerifyResult): void {
  if (sha256Hex(text) !== manifest.historySha256) result.problems.push('the history does not match the sha256 in its manifest: it was changed after export');
  if (options.publicKeyPem) {
    if (!manifest.signature) result.problems.push('the manifest is not signed, and an audit public key is configured: its integrity cannot be proven');
    else if (!manifestSignatureValid(manifest, options.publicKeyPem)) result.problems.push('the manifest signature does not verify');
  } else if (manifest.signature) {
    result.problems.push('the manifest is signed but no public key was given to check it (--public-key or CEREMONY_AUDIT_PUBLIC_KEY_FILE)');
  } else {
    result.notes.push('integrity not proven: manifest unsigned (sign exports with --signing-key, verify with --public-key)');
  }
}

/** The manifest says what it describes: compare each claim with the history itself. */
function checkManifestClaims(manifest: AuditManifest, facts: ReturnType<typeof auditFacts>, result: VerifyResult): void {
  const claims: [string, unknown, unknown][] = [
    ['ceremony id', manifest.ceremonyId, facts.ceremonyId],
    ['run id', manifest.runId, facts.runId],
    ['plan digest', manifest.planDigest, facts.digest],
    ['event count', manifest.eventCount, facts.eventCount],
    ['last event id', manifest.lastEventId, facts.lastEventId],
    ['close event', manifest.closeEvent, facts.close?.type ?? 'running'],
  ];
  for (const [what, claimed, actual] of claims) {
    if (claimed === undefined) result.problems.push(`the manifest does not record the ${what} (exported by an older version?): export it again`);
    else if (claimed !== actual) result.problems.push(`the manifest's ${what} is ${String(claimed)}, the history's is ${String(actual)}`);
  }
}

/** Verify in two parts: the checks that read each history directly (hash, signature, manifest,
 * invariants), for every history; then the replay with the current workflow code, of all of
 * them, a sample, or none, spread over several processes. Payloads are decoded once. */
export async function verifyHistories(paths: string[], options: VerifyOptions = {}): Promise<VerifyResult[]> {
  const codecs = dataConverterFor(options.payloadKeys)?.payloadCodecs ?? [];
  const checked: { workflowId: string; history: unknown; result: VerifyResult }[] = [];
  const results: VerifyResult[] = [];
  for (const file of paths.flatMap(historyFiles)) {
    const result: VerifyResult = { file, ok: false, problems: [], violations: [], notes: [], replayed: false };
    results.push(result);
    const text = readFileSync(file, 'utf8');
    const manifest = readManifest(manifestPath(file), result);
    if (manifest) {
      result.ceremonyId = manifest.ceremonyId;
      checkIntegrity(text, manifest, options, result);
    }
    let history: unknown;
    try {
      history = JSON.parse(text);
      if (codecs.length) history = await decodedHistory(history, codecs);
    } catch (err) {
      result.problems.push(`the history cannot be read: ${(err as Error).message}`);
      continue;
    }
    try {
      const events = await auditEvents(parseHistoryJson(history));
      const facts = auditFacts(events);
      result.ceremonyId ??= facts.ceremonyId;
      if (manifest) checkManifestClaims(manifest, facts, result);
      result.violations = checkInvariants(events);
      checked.push({ workflowId: facts.ceremonyId || file, history, result });
    } catch (err) {
      result.problems.push(`the history cannot be read: ${(err as Error).message}`);
    }
  }
  await replayChecked(checked, options);
  for (const r of results) r.ok = r.problems.length === 0 && r.violations.length === 0;
  return results;
}

/** The replays, bounded in time, spread over processes; what is not replayed says so. */
async function replayChecked(checked: { workflowId: string; history: unknown; result: VerifyResult }[], options: VerifyOptions): Promise<void> {
  const mode = options.replay ?? 'all';
  const chosen = mode === 'all' ? checked : mode === 'none' ? [] : evenSample(checked, mode.sample);
  const replayed = new Set(chosen);
  for (const entry of checked) {
    if (replayed.has(entry)) continue;
    entry.result.notes.push(mode === 'none' ? 'not replayed (--no-replay): the checks from the history alone were made' : `not replayed: a sample of ${chosen.length} of ${checked.length} histories was`);
  }
  if (chosen.length === 0) return;
  const workflowBundlePath = options.workflowBundlePath ?? (await cachedReplayBundle({ cacheDir: options.bundleCacheDir })).path;
  const lanes = Math.max(1, Math.min(options.replayProcesses ?? Math.min(availableParallelism(), Math.ceil(chosen.length / MIN_PER_PROCESS)), chosen.length));
  const byLane = Array.from({ length: lanes }, (_, lane) => chosen.filter((_, i) => i % lanes === lane));
  await Promise.all(
    byLane.map(async (entries) => {
      const outcomes = await replayHistories(
        entries.map(({ workflowId, history }) => ({ workflowId, history })),
        { workflowBundlePath, timeLimitMs: options.replayTimeLimitMs },
      );
      outcomes.forEach((o, i) => {
        entries[i].result.replayed = true;
        if (o.error) entries[i].result.problems.push(o.kind === 'replay' ? `replay with the current workflow code failed: ${o.error}` : o.error);
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
