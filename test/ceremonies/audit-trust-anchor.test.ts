import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exportCeremony, manifestPath, sha256Hex } from '../../audit/tooling/export';
import { generateSigningKey, signerFromPem } from '../../client/decision-signer';
import { cliProcess } from '../support/cli';
import {
  APPROVERS,
  gate,
  record,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';
import { inventoryKeys } from '../support/people';

// The forged-key attack on an unsigned export: the attacker replaces a decider's public key in the
// recorded policy check with one of their own, re-signs that decider's approval with it and fixes
// the manifest's hash. The history is consistent with itself (it even replays); only keys the
// auditor brings (`--keys`) can tell.

type Event = Record<string, any>;
let h: Harness;
let id: string;
let dir: string;
let genuine: string;
let forged: string;
let forgedKey: string;
let forgedEventId: string;

const payloadsOf = (event: Event): { data: string }[] =>
  Object.values(event)
    .filter((v): v is Event => typeof v === 'object' && v !== null)
    .flatMap((attrs) => [attrs.result, attrs.details?.result, attrs.acceptedRequest?.input?.args])
    .flatMap((holder) => (holder?.payloads ?? []) as { data: string }[])
    .filter((p) => typeof p.data === 'string' && p.data.length > 0);
const decode = (p: { data: string }) => {
  try {
    return JSON.parse(Buffer.from(p.data, 'base64').toString());
  } catch {
    return undefined; // not JSON (binary/null payloads)
  }
};
const encode = (p: { data: string }, value: unknown) =>
  (p.data = Buffer.from(JSON.stringify(value)).toString('base64'));

beforeAll(async () => {
  h = await startHarness('audit-anchor');
  id = await h.start(testPlan([gate(), record('effect')]));
  const open = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  for (const a of APPROVERS.slice(0, 2))
    await h.ceremonies.approve(id, { gate: 'approve', approver: a, planDigest: open.planDigest });
  expect((await result(h.ceremonies, id)).phase).toBe('completed');
  dir = mkdtempSync(join(tmpdir(), 'audit-anchor-'));
  genuine = join(dir, 'genuine.json');
  await exportCeremony(h.ceremonies, id, genuine, { server: 'test' });

  // the attack
  const forger = signerFromPem(generateSigningKey().privatePem);
  forgedKey = forger.publicKey;
  const history: { events: Event[] } = JSON.parse(readFileSync(genuine, 'utf8'));
  const victim = APPROVERS[0];
  let replaced = 0;
  for (const event of history.events) {
    for (const payload of payloadsOf(event)) {
      const value = decode(payload);
      if (Array.isArray(value?.keys) && Array.isArray(value?.attestationKeys)) {
        // the recorded policy check: the victim's key becomes the forger's
        for (const k of value.keys) if (k.email === victim) k.publicKeys = [forger.publicKey];
        encode(payload, value);
        replaced++;
      }
    }
  }
  expect(replaced).toBe(1);
  const approval = history.events.find((e) => {
    const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    return input?.name === 'approve' && decode(input.args.payloads[0]).approver === victim;
  })!;
  forgedEventId = approval.eventId;
  const payload = approval.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads[0];
  const args = decode(payload);
  const fields = {
    ceremonyId: id,
    gate: args.gate,
    planDigest: args.planDigest,
    decision: 'approve' as const,
    actor: args.approver,
    text: args.comment ?? '',
    nonce: args.nonce,
    at: args.at,
    ...(args.challenge ? { challenge: args.challenge } : {}),
  };
  encode(payload, { ...args, signature: forger.sign(fields) });
  forged = join(dir, 'forged.json');
  const text = JSON.stringify(history);
  writeFileSync(forged, text);
  const manifest = JSON.parse(readFileSync(manifestPath(genuine), 'utf8'));
  writeFileSync(manifestPath(forged), JSON.stringify({ ...manifest, historySha256: sha256Hex(text) }));
});
afterAll(async () => {
  await h?.stop();
});

test('without --keys the forged export passes its own checks, and the verdict says its keys are "not proven"', async () => {
  const run = await cliProcess(['audit', 'verify', 'forged.json'], { cwd: dir });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toContain('  held        decision signatures\n');
  expect(run.stdout).toContain('  held        replay with the current code\n');
  expect(run.stdout).toContain(
    '  not proven  decision keys (trust anchor): checked only against keys the history itself carries (give --keys)\n',
  );
  expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^VERIFIED; not proven: .*decision keys \(trust anchor\)/);
});

test('with --keys (the inventory, or a key list) the forged export fails, naming the decision, the signer and the key', async () => {
  const inventory = h.config.CEREMONY_INVENTORY;
  const run = await cliProcess(['audit', 'verify', 'forged.json', '--keys', inventory], { cwd: dir });
  expect(run).toMatchObject({ code: 1, stderr: '' });
  const named = `approve by ${APPROVERS[0]} on gate approve (event ${forgedEventId}) is signed with ${forgedKey}, which is neither ${APPROVERS[0]}'s key nor a web app key in ${inventory}`;
  expect(run.stdout).toContain(`  FAILED      decision keys (trust anchor): ${named}\n`);
  expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('FAILED: decision keys (trust anchor)');

  const keyList = join(dir, 'keys.yaml');
  writeFileSync(keyList, stringify({ revision: 'r42', ...inventoryKeys() }));
  const listed = await cliProcess(['--json', 'audit', 'verify', 'forged.json', '--keys', keyList, '--no-replay'], {
    cwd: dir,
  });
  expect(listed.code).toBe(1);
  const [r] = JSON.parse(listed.stdout).results;
  expect(r.checks).toContainEqual({
    check: 'decision keys (trust anchor)',
    status: 'failed',
    detail: named.replace(inventory, `${keyList} (revision r42)`),
  });
  expect(r.checks).toContainEqual({ check: 'decision signatures', status: 'held' });

  // the genuine export holds against the same anchor, and the report says so too
  const good = await cliProcess(['audit', 'verify', 'genuine.json', '--keys', keyList], { cwd: dir });
  expect(good).toMatchObject({ code: 0, stderr: '' });
  expect(good.stdout).toContain(
    `  held        decision keys (trust anchor): 2 signatures, every key in ${keyList} (revision r42)\n`,
  );
  const report = await cliProcess(['audit', 'report', 'forged.json', '--keys', keyList], { cwd: dir });
  expect(report.stdout).toContain('FAILED: the history does not prove what the ceremony claims');
  expect(report.stdout).toContain(`is signed with ${forgedKey}`);
});

test('a key file that is neither an inventory nor a key list is refused with why, and nothing is verified', async () => {
  const bad = join(dir, 'bad-keys.yaml');
  writeFileSync(bad, stringify({ signingKeys: { [APPROVERS[0]]: ['not-a-key'] } }));
  const run = await cliProcess(['audit', 'verify', 'genuine.json', '--keys', bad], { cwd: dir });
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(
    /neither an inventory \(with hsms\) nor a key list .*signingKeys\.alice@example\.com\.0: expected an Ed25519 public key/,
  );
});
