import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { auditEvents, parseHistoryJson } from './history';
import { checkInvariants, type Violation } from './invariants';
import { dataConverterFor } from '../codec';
import { manifestPath, manifestSignatureValid, sha256Hex, type AuditManifest } from './export';

export interface VerifyResult {
  file: string;
  ceremonyId?: string;
  ok: boolean;
  problems: string[];
  violations: Violation[];
}

export interface VerifyOptions {
  /** Ed25519 public key (PEM) that signed the manifests; a signed manifest needs it. */
  publicKeyPem?: string;
  /** A prebuilt workflow bundle (tests); otherwise the current workflow code is bundled. */
  workflowBundlePath?: string;
  /** Payload keys, when the ceremonies ran with payload encryption. */
  payloadKeys?: string;
}

/** History files in a directory (or the file itself), manifests excluded. */
export function historyFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.manifest.json'))
    .sort()
    .map((f) => join(path, f));
}

/** Replay with the current workflow code (no server), check hash, signature and invariants. */
export async function verifyHistories(paths: string[], options: VerifyOptions = {}): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const converter = dataConverterFor(options.payloadKeys);
  const replayable: { workflowId: string; history: unknown; result: VerifyResult }[] = [];
  for (const file of paths.flatMap(historyFiles)) {
    const result: VerifyResult = { file, ok: false, problems: [], violations: [] };
    results.push(result);
    const text = readFileSync(file, 'utf8');
    const mPath = manifestPath(file);
    if (!existsSync(mPath)) result.problems.push(`no manifest ${mPath}`);
    else {
      const manifest = JSON.parse(readFileSync(mPath, 'utf8')) as AuditManifest;
      result.ceremonyId = manifest.ceremonyId;
      if (sha256Hex(text) !== manifest.historySha256) result.problems.push('the history does not match the sha256 in its manifest: it was changed after export');
      if (manifest.signature && !options.publicKeyPem) result.problems.push('the manifest is signed but no public key was given to check it');
      if (manifest.signature && options.publicKeyPem && !manifestSignatureValid(manifest, options.publicKeyPem)) result.problems.push('the manifest signature does not verify');
      if (!manifest.signature && options.publicKeyPem) result.problems.push('the manifest is not signed');
    }
    try {
      const json = JSON.parse(text);
      const events = await auditEvents(parseHistoryJson(json), converter?.payloadCodecs?.[0]);
      result.violations = checkInvariants(events);
      replayable.push({ workflowId: result.ceremonyId ?? file, history: json, result });
    } catch (err) {
      result.problems.push(`the history cannot be read: ${(err as Error).message}`);
    }
  }
  if (replayable.length > 0) {
    const bundle = options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath: require.resolve('../../workflows') };
    const replays = Worker.runReplayHistories({ ...bundle, replayName: 'audit', dataConverter: converter }, replayable.map(({ workflowId, history }) => ({ workflowId, history })));
    let i = 0;
    for await (const replay of replays) {
      const entry = replayable[i++];
      if (replay.error) entry.result.problems.push(`replay with the current workflow code failed: ${replay.error.message}`);
    }
  }
  for (const r of results) r.ok = r.problems.length === 0 && r.violations.length === 0;
  return results;
}
