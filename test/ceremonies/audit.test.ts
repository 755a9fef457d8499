import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cli } from '../support/cli';
import { exportCeremony, manifestPath, sha256Hex } from '../../audit/tooling/export';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportHtml, reportMarkdown } from '../../audit/verifier/report';
import { verifyHistories } from '../../audit/tooling/verify';
import { driveGates } from '../support/drive';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly, SECRETS } from '../support/simulated-hsm';

let env: CeremonyEnv;
let dir: string;
let file: string;
let id: string;
const bundle = { workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE };
const { privateKey: privatePem, publicKey: publicPem } = generateKeyPairSync('ed25519', {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

beforeAll(async () => {
  env = await startCeremonyEnv('audit');
  initialiseDirectly(env.sim);
  id = await env.start('partition-create', { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' });
  expect((await driveGates(env.h.ceremonies, id)).phase).toBe('completed');
  await env.h.ceremonies.handle(id).result(); // exported once closed: a complete history
  dir = mkdtempSync(join(tmpdir(), 'audit-'));
  file = join(dir, `${id}.json`);
  await exportCeremony(env.h.ceremonies, id, file, { server: 'test', signingKeyFile: writeKey(privatePem) });
});
afterAll(async () => {
  await env?.close();
});

function writeKey(pem: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'key-')), 'key.pem');
  writeFileSync(path, pem);
  return path;
}

/** Copy the export into a new dir with `edit` applied to the history JSON; `rehash` fixes the
 * manifest hash; `manifest` edits the manifest too (an attacker rewriting an unsigned one). */
function tampered(
  edit: (history: { events: Record<string, any>[] }) => void,
  rehash: boolean,
  editManifest?: (m: Record<string, any>, history: { events: Record<string, any>[] }) => void,
): string {
  const out = mkdtempSync(join(tmpdir(), 'tampered-'));
  const history = JSON.parse(readFileSync(file, 'utf8'));
  edit(history);
  const text = JSON.stringify(history);
  const target = join(out, `${id}.json`);
  writeFileSync(target, text);
  const manifest = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
  const written = rehash ? { ...manifest, historySha256: sha256Hex(text) } : manifest;
  editManifest?.(written, history);
  writeFileSync(manifestPath(target), JSON.stringify(written));
  return target;
}

/** The manifest without its signature, as an unsigned export would have it. */
const unsign = (m: Record<string, any>) => delete m.signature;

const decodeArgs = (e: Record<string, any>) =>
  JSON.parse(
    Buffer.from(
      e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads[0].data,
      'base64',
    ).toString(),
  );
const encodeArgs = (e: Record<string, any>, value: unknown) => {
  e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads[0].data = Buffer.from(
    JSON.stringify(value),
  ).toString('base64');
};
const approvals = (h: { events: Record<string, any>[] }) =>
  h.events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'approve');

test('an exported ceremony replays with the current code and every invariant holds; the signature verifies', async () => {
  const [result] = await verifyHistories([dir], { ...bundle, publicKeyPem: publicPem });
  expect(result).toMatchObject({ ok: true, ceremonyId: id, problems: [], violations: [] });
  const manifest = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
  expect(manifest).toMatchObject({
    ceremonyId: id,
    historySha256: sha256Hex(readFileSync(file, 'utf8')),
    signature: { alg: 'ed25519' },
  });
  for (const secret of Object.values(SECRETS)) expect(readFileSync(file, 'utf8')).not.toContain(secret);
});

test('an edited event fails on the hash; with the hash fixed, on the signature; unsigned, on the invariant', async () => {
  const edit = (h: { events: Record<string, any>[] }) => {
    const [first] = approvals(h);
    encodeArgs(first, { ...decodeArgs(first), approver: 'dave@example.com' }); // the requester "approves"
  };
  const [noRehash] = await verifyHistories([tampered(edit, false)], { ...bundle, publicKeyPem: publicPem });
  expect(noRehash.ok).toBe(false);
  expect(noRehash.problems).toContain(
    'the history does not match the sha256 in its manifest: it was changed after export',
  );

  const rehashed = tampered(edit, true);
  const [signed] = await verifyHistories([rehashed], { ...bundle, publicKeyPem: publicPem });
  expect(signed.problems).toContain('the manifest signature does not verify');

  const [unsigned] = await verifyHistories([rehashed], bundle);
  expect(unsigned.violations.map((v) => v.invariant)).toEqual(expect.arrayContaining(['no-self-approval']));
  expect(unsigned.violations.find((v) => v.invariant === 'no-self-approval')?.eventIds).toHaveLength(1);
});

test('a removed approval breaks the quorum invariant (and the replay)', async () => {
  const target = tampered((h) => {
    const [first] = approvals(h);
    encodeArgs(first, { ...decodeArgs(first), planDigest: 'f'.repeat(64) });
  }, true);
  const [r] = await verifyHistories([target], bundle);
  expect(r.ok).toBe(false);
  expect(r.violations.map((v) => v.invariant)).toContain('approvals-bound-to-plan');

  const removed = tampered((h) => {
    const [first] = approvals(h);
    const ids = new Set([first.eventId]);
    h.events = h.events.filter((e) => !ids.has(e.eventId));
  }, true);
  const [q] = await verifyHistories([removed], bundle);
  expect(q.ok).toBe(false);
  expect(q.violations.map((v) => v.invariant)).toContain('quorum-before-gated-steps');
});

test('an approval re-attributed to another approver, or to an outsider, fails on its signature and group', async () => {
  for (const [to, invariants] of [
    ['carol@example.com', ['decisions-signed']],
    ['mallory@example.com', ['decisions-signed', 'approver-in-group']],
  ] as const) {
    const target = tampered(
      (h) => {
        const [first] = approvals(h);
        encodeArgs(first, { ...decodeArgs(first), approver: to });
      },
      true,
      unsign,
    );
    const [r] = await verifyHistories([target], bundle);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([]); // hash recomputed, manifest unsigned: only the history can tell
    expect(r.violations.map((v) => v.invariant)).toEqual(expect.arrayContaining([...invariants]));
    expect(r.violations.find((v) => v.invariant === 'decisions-signed')?.detail).toMatch(
      new RegExp(
        `approve by ${to} on gate approve (has a signature that does not match it|is signed with a key that is neither)`,
      ),
    );
  }
});

test('a truncated history fails, even with a manifest rewritten to match it', async () => {
  const cut = (h: { events: Record<string, any>[] }) => {
    const create = h.events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'partition.create',
    );
    h.events = h.events.slice(0, create);
  };
  const [asIs] = await verifyHistories([tampered(cut, true, unsign)], bundle);
  expect(asIs.ok).toBe(false);
  expect(asIs.problems.join('\n')).toMatch(/the manifest's event count is \d+, the history's is \d+/);
  expect(asIs.violations.map((v) => v.invariant)).toContain('history-complete');

  const rewritten = tampered(cut, true, (m, h) => {
    unsign(m);
    Object.assign(m, {
      eventCount: h.events.length,
      lastEventId: Number(h.events.at(-1)!.eventId),
      closeEvent: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    });
  });
  const [r] = await verifyHistories([rewritten], bundle);
  expect(r.ok).toBe(false);
  expect(r.violations.find((v) => v.invariant === 'history-complete')?.detail).toMatch(
    /not in a close event: it is truncated or the ceremony had not ended/,
  );
});

test('a manifest naming another ceremony or plan fails; a signed one stripped of its signature fails when the audit key is configured', async () => {
  const [otherId] = await verifyHistories(
    [
      tampered(
        () => {},
        false,
        (m) => (unsign(m), (m.ceremonyId = 'ceremony-jira-OTHER-1')),
      ),
    ],
    bundle,
  );
  expect(otherId.problems).toContain(`the manifest's ceremony id is ceremony-jira-OTHER-1, the history's is ${id}`);
  const [otherDigest] = await verifyHistories(
    [
      tampered(
        () => {},
        false,
        (m) => (unsign(m), (m.planDigest = 'a'.repeat(64))),
      ),
    ],
    bundle,
  );
  expect(otherDigest.problems.join('\n')).toMatch(
    new RegExp(`the manifest's plan digest is a{64}, the history's is [0-9a-f]{64}`),
  );

  const stripped = tampered(() => {}, true, unsign);
  const [withKey] = await verifyHistories([stripped], { ...bundle, publicKeyPem: publicPem });
  expect(withKey.ok).toBe(false);
  expect(withKey.problems).toContain(
    'the manifest is not signed, and an audit public key is configured: its integrity cannot be proven',
  );
  const [withoutKey] = await verifyHistories([stripped], bundle);
  expect(withoutKey).toMatchObject({
    ok: true,
    problems: [],
    violations: [],
    notes: [
      'integrity not proven: manifest unsigned (sign exports with --signing-key, verify with --public-key)',
      'decision keys not proven: the signatures were checked only against the keys recorded in the history (verify with --keys <inventory or key list>)',
    ],
  });
  expect(withoutKey.checks).toContainEqual({
    check: 'manifest signature',
    status: 'not-proven',
    detail: 'manifest unsigned',
  });
  const [requiring] = await verifyHistories([stripped], { ...bundle, requireSignature: true, replay: 'none' });
  expect(requiring.ok).toBe(false);
  expect(requiring.checks).toContainEqual({
    check: 'manifest signature',
    status: 'failed',
    detail: 'the manifest is not signed (required: --require-signature)',
  });

  // signed, but no key to check it with: not proven, unless a signature is required
  const [unchecked] = await verifyHistories([file], { ...bundle, replay: 'none' });
  expect(unchecked.ok).toBe(true);
  expect(unchecked.checks).toContainEqual({
    check: 'manifest signature',
    status: 'not-proven',
    detail: 'signed, but not checked: no public key given',
  });
  const [uncheckedRequired] = await verifyHistories([file], { ...bundle, replay: 'none', requireSignature: true });
  expect(uncheckedRequired.ok).toBe(false);

  // no manifest at all: not proven, but a failure once the audit key is configured
  const bare = join(mkdtempSync(join(tmpdir(), 'bare-')), 'history.json');
  writeFileSync(bare, readFileSync(file, 'utf8'));
  const [noManifest] = await verifyHistories([bare], { ...bundle, replay: 'none' });
  expect(noManifest.ok).toBe(true);
  expect(noManifest.notes).toContain(`integrity not proven: no manifest (${manifestPath(bare)})`);
  const [noManifestWithKey] = await verifyHistories([bare], { ...bundle, replay: 'none', publicKeyPem: publicPem });
  expect(noManifestWithKey.ok).toBe(false);
  expect(noManifestWithKey.checks).toContainEqual({
    check: 'integrity (manifest hash)',
    status: 'failed',
    detail: `no manifest ${manifestPath(bare)} (required: an audit public key is configured)`,
  });
});

test('an event appended after the close gets a verdict naming it, not a hang', async () => {
  const appended = tampered(
    (h) => {
      const [first] = approvals(h);
      const last = Number(h.events.at(-1)!.eventId);
      h.events.push({ ...first, eventId: String(last + 1) }); // an update "accepted" after the close
    },
    true,
    unsign,
  );
  const t0 = Date.now();
  const [r] = await verifyHistories([appended], bundle);
  expect(Date.now() - t0).toBeLessThan(60_000); // a verdict, not the hang of a naive replay
  expect(r.ok).toBe(false);
  expect(r.problems.join('\n')).toMatch(
    /comes after the close event \d+ \(WorkflowExecutionCompleted\): nothing may follow the close event/,
  );
  expect(r.violations.map((v) => v.invariant)).toContain('history-complete');
});

test('verify in two parts: the history checks for every export, the replay for all, a sample or none, over several processes', async () => {
  // four exports of the one ceremony; in one, a mail activity's id is changed: only the replay can tell
  const folder = mkdtempSync(join(tmpdir(), 'verify-parts-'));
  for (const name of ['a', 'b', 'c', 'd']) {
    const history = JSON.parse(readFileSync(file, 'utf8'));
    if (name === 'c')
      history.events.find(
        (e: Record<string, any>) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify',
      ).activityTaskScheduledEventAttributes.activityId = '999';
    const text = JSON.stringify(history);
    writeFileSync(join(folder, `${name}.json`), text);
    const manifest = JSON.parse(readFileSync(manifestPath(file), 'utf8'));
    delete manifest.signature;
    writeFileSync(
      join(folder, `${name}.manifest.json`),
      JSON.stringify({ ...manifest, historySha256: sha256Hex(text) }),
    );
  }
  const all = await verifyHistories([folder], { ...bundle, replayProcesses: 2 });
  expect(all.map((r) => r.ok)).toEqual([true, true, false, true]);
  expect(all[2].problems.join('\n')).toMatch(/replay with the current workflow code failed: .*[Nn]ondetermin/);
  expect(all[2].violations).toEqual([]); // the history checks alone cannot see it

  expect(all.map((r) => r.replayed)).toEqual([true, true, true, true]);
  const none = await verifyHistories([folder], { ...bundle, replay: 'none' });
  expect(none.map((r) => r.ok)).toEqual([true, true, true, true]);
  expect(none.map((r) => r.replayed)).toEqual([false, false, false, false]);
  expect(
    reportMarkdown(await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8')))), none[0]),
  ).toContain('VERIFIED: from the history alone (not replayed)');
  expect(none[2].notes).toContain('not replayed (--no-replay): the checks from the history alone were made');

  const sample = await verifyHistories([folder], { ...bundle, replay: { sample: 2 } }); // a and c
  expect(sample.map((r) => r.ok)).toEqual([true, true, false, true]);
  expect(sample.map((r) => r.replayed)).toEqual([true, false, true, false]);
  expect(sample[1].notes).toContain('not replayed: a sample of 2 of 4 histories was');

  const cli_ = await cli('audit', 'verify', folder, '--no-replay');
  expect(cli_.code).toBe(0);
  expect(cli_.out).toMatch(
    /^c\.json .* verified; not proven: manifest signature, replay with the current code, decision keys \(trust anchor\)$/m,
  );
});

test('a replay against changed workflow code reports the non-determinism instead of crashing', async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(__dirname, '..', 'fixtures', 'changed-workflow'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const changed = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'changed.js');
  writeFileSync(changed, code);
  const [r] = await verifyHistories([file], { workflowBundlePath: changed });
  expect(r.ok).toBe(false);
  expect(r.problems.join('\n')).toMatch(/replay with the current workflow code failed: .*[Nn]ondetermin/);
});

test("the audit's own reader of an export agrees with the SDK's parser on everything the audit reads; a malformed value is unreadable, not skipped", async () => {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const ours = await auditEvents(parseHistoryJson(json));
  expect(ours).toEqual(await auditEvents(historyFromJSON(json)));
  expect(ours.filter((e) => e.activity).length).toBeGreaterThan(5);
  expect(ours.filter((e) => e.update).length).toBeGreaterThan(1);

  const edited = (edit: (events: Record<string, any>[]) => void) => {
    const copy = JSON.parse(JSON.stringify(json));
    edit(copy.events);
    return copy;
  };
  const scheduled = (events: Record<string, any>[]) =>
    events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes;
  expect(() =>
    parseHistoryJson(edited((events) => (scheduled(events).input.payloads[0].data = 'not base64!'))),
  ).toThrow('payload data is not base64');
  expect(() => parseHistoryJson(edited((events) => (events[3].eventTime = 'yesterday')))).toThrow(
    'event 4.eventTime is not an RFC 3339 time',
  );
  expect(() => parseHistoryJson(edited((events) => (events[2].eventType = 'EVENT_TYPE_NONSENSE')))).toThrow(
    'event 3 has an unknown event type',
  );
  expect(() => parseHistoryJson(edited((events) => (scheduled(events).activityType = 'notify')))).toThrow(
    /activityType is not an object/,
  );
  expect(() => parseHistoryJson({ events: {} })).toThrow('the history has no events array');
});

test('the report tells a reader who asked, which plan, who approved, what the devices printed, and the verdict', async () => {
  const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))));
  const [verdict] = await verifyHistories([file], { ...bundle, publicKeyPem: publicPem });
  const mdText = reportMarkdown(events, verdict);
  expect(mdText).toContain('- **Requested by:** dave@example.com');
  expect(mdText).toContain('VERIFIED: replayed with the current code, every decision signed, every invariant holds');
  expect(mdText).toMatch(
    /\| approve \| alice@example.com \| approve \| own key \(CLI\) \| \S+ \| valid \| this plan \([0-9a-f]{12}…\) \|/,
  );
  expect(mdText).toContain('partition create -partition payments');
  const htmlText = reportHtml(events, verdict);
  expect(htmlText).toContain('<h2>Decisions</h2>');
  for (const secret of Object.values(SECRETS)) expect(mdText + htmlText).not.toContain(secret);
});

test('from the command line: export, verify (exit 0, then 1 on a tampered copy), report', async () => {
  process.env.TEMPORAL_ADDRESS = env.h.config.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_TASK_QUEUE = env.h.config.TEMPORAL_TASK_QUEUE;
  const target = join(mkdtempSync(join(tmpdir(), 'cli-audit-')), 'export.json');
  expect((await cli('audit', 'export', id, '-o', target)).out).toMatch(
    /^exported .* to .*export\.json \(sha256 [0-9a-f]{16}…\)$/,
  );
  const ok = await cli('audit', 'verify', target);
  expect(ok).toMatchObject({ code: 0 });
  expect(ok.out).toMatch(
    /^.*export\.json: ceremony-.*\n(.*\n)*VERIFIED; not proven: manifest signature: manifest unsigned; decision keys \(trust anchor\): checked only against keys the history itself carries \(give --keys\)$/,
  );
  // payloads are base64 in the file: change any byte of it, here a date
  writeFileSync(target, readFileSync(target, 'utf8').replace(/"eventTime":\s*"2/, '"eventTime":"1'));
  const bad = await cli('audit', 'verify', target);
  expect(bad.code).toBe(1);
  expect(bad.out).toContain('  FAILED      integrity (manifest hash): the history does not match the sha256');
  expect(bad.out.split('\n').at(-1)).toBe('FAILED: integrity (manifest hash)');
  expect(bad.err).toBe('');
  const report = await cli('audit', 'report', id, '--format', 'html');
  expect(report.out).toContain('<h1>Audit report: Create partition payments');
});
