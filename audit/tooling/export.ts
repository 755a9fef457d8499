import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { canonicalJson } from '../../ceremonies/digest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { CeremonyRefusal, type CeremonyClient } from '../../client/ceremony-client';
import { auditEvents, parseHistoryJson } from '../verifier/history';
import { auditFacts } from '../verifier/invariants';

/** Next to each exported history: what it is, where from, its sha256, and (optionally) an
 * Ed25519 signature over this manifest. */
export interface AuditManifest {
  ceremonyId: string;
  runId: string;
  planDigest: string;
  exportedAt: string;
  server: string;
  historySha256: string;
  /** How the history ends, so a truncated copy is told apart from a whole one. */
  eventCount: number;
  lastEventId: number;
  /** The close event's type (`EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED`…), or `running`. */
  closeEvent: string;
  /** The final phase the ceremony returned (completed, rejected, …), when it has ended. */
  phase?: string;
  signature?: { alg: 'ed25519'; value: string };
}

export const manifestPath = (historyFile: string) => historyFile.replace(/\.json$/, '') + '.manifest.json';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function unsigned(manifest: AuditManifest): Omit<AuditManifest, 'signature'> {
  const { signature: _signature, ...rest } = manifest;
  return rest;
}

export function signManifest(manifest: AuditManifest, privateKeyPem: string): AuditManifest {
  const value = sign(null, Buffer.from(canonicalJson(unsigned(manifest))), createPrivateKey(privateKeyPem)).toString(
    'base64',
  );
  return { ...manifest, signature: { alg: 'ed25519', value } };
}

export function manifestSignatureValid(manifest: AuditManifest, publicKeyPem: string): boolean {
  if (!manifest.signature) return false;
  return verify(
    null,
    Buffer.from(canonicalJson(unsigned(manifest))),
    createPublicKey(publicKeyPem),
    Buffer.from(manifest.signature.value, 'base64'),
  );
}

/** Write `<file>` (the history as `temporal workflow show --output json` writes it) and
 * `<file minus .json>.manifest.json`. */
export async function exportCeremony(
  ceremonies: CeremonyClient,
  ceremonyId: string,
  file: string,
  options: { server: string; signingKeyFile?: string; codec?: PayloadCodec },
): Promise<AuditManifest> {
  const handle = ceremonies.handle(ceremonyId);
  const description = await handle.describe().catch((err) => {
    throw err instanceof WorkflowNotFoundError ? new CeremonyRefusal(`no ceremony ${ceremonyId}`, 'not-found') : err;
  });
  const history = await handle.fetchHistory();
  const text = historyToJSON(history);
  const facts = auditFacts(await auditEvents(parseHistoryJson(JSON.parse(text)), options.codec));
  let manifest: AuditManifest = {
    ceremonyId,
    runId: description.runId,
    planDigest: facts.digest,
    exportedAt: new Date().toISOString(),
    server: options.server,
    historySha256: sha256Hex(text),
    eventCount: facts.eventCount,
    lastEventId: facts.lastEventId,
    closeEvent: facts.close?.type ?? 'running',
    ...(facts.close?.phase ? { phase: facts.close.phase } : {}),
  };
  if (options.signingKeyFile) manifest = signManifest(manifest, readFileSync(options.signingKeyFile, 'utf8'));
  await writeFile(file, text);
  await writeFile(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
