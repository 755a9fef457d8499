import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, parseHistoryJson } from './history';
import { auditFacts, checkInvariants, type Violation } from './invariants';
import { dataConverterFor } from '../runtime/codec';
import { replayHistories } from './replay';
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
}

export interface VerifyOptions {
  /** Ed25519 public key (PEM) that signs the manifests: with it, an unsigned manifest fails. */
  publicKeyPem?: string;
  /** A prebuilt workflow bundle (tests); otherwise the current workflow code is bundled. */
  workflowBundlePath?: string;
  /** Payload keys, when the ceremonies ran with payload encryption. */
  payloadKeys?: string;
  /** How long one replay may take (default 30 s). */
  replayTimeLimitMs?: number;
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

/** Replay with the current workflow code (no server), check hash, signature and invariants. */
export async function verifyHistories(paths: string[], options: VerifyOptions = {}): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const converter = dataConverterFor(options.payloadKeys);
  const replayable: { workflowId: string; history: unknown; result: VerifyResult }[] = [];
  for (const file of paths.flatMap(historyFiles)) {
    const result: VerifyResult = { file, ok: false, problems: [], violations: [], notes: [] };
    results.push(result);
    const text = readFileSync(file, 'utf8');
    const manifest = readManifest(manifestPath(file), result);
    if (manifest) {
      result.ceremonyId = manifest.ceremonyId;
      checkIntegrity(text, manifest, options, result);
    }
    try {
      const json = JSON.parse(text);
      const events = await auditEvents(parseHistoryJson(json), converter?.payloadCodecs?.[0]);
      const facts = auditFacts(events);
      result.ceremonyId ??= facts.ceremonyId;
      if (manifest) checkManifestClaims(manifest, facts, result);
      result.violations = checkInvariants(events);
      replayable.push({ workflowId: facts.ceremonyId || file, history: json, result });
    } catch (err) {
      result.problems.push(`the history cannot be read: ${(err as Error).message}`);
    }
  }
  // every replay is bounded in time, and a malformed history gets a verdict without one
  const outcomes = await replayHistories(replayable.map(({ workflowId, history }) => ({ workflowId, history })), {
    workflowBundlePath: options.workflowBundlePath,
    dataConverter: converter,
    timeLimitMs: options.replayTimeLimitMs,
  });
  outcomes.forEach((o, i) => {
    if (o.error) replayable[i].result.problems.push(o.kind === 'replay' ? `replay with the current workflow code failed: ${o.error}` : o.error);
  });
  for (const r of results) r.ok = r.problems.length === 0 && r.violations.length === 0;
  return results;
}
