import { CeremonyRefusal } from '../../client/ceremony-client';
import { keyring } from '../support/people';
import {
  APPROVERS,
  gate,
  OPERATOR,
  record,
  REQUESTER,
  result,
  startHarness,
  testPlan,
  waitForStatus,
  type Harness,
} from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('approvals');
});
afterAll(async () => {
  await h?.stop();
});

async function openCeremony(quorum = 2) {
  const plan = testPlan([gate('approve', { quorum }), record('effect')]);
  const id = await h.start(plan);
  const status = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  return { id, digest: status.planDigest };
}

const [alice, bob, carol] = APPROVERS;

test('quorum of distinct approvers opens the gate and the ceremony completes', async () => {
  const { id, digest } = await openCeremony();
  const first = await h.ceremonies.approve(id, { gate: 'approve', approver: alice, planDigest: digest });
  expect(first).toMatchObject({ approvals: 1, quorum: 2, closed: false });
  expect((await h.ceremonies.status(id)).phase).toBe('awaiting-approval');
  await h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: digest, comment: 'checked the plan' });

  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.decisions.map((d) => [d.actor, d.decision, d.planDigest])).toEqual([
    [alice, 'approve', digest],
    [bob, 'approve', digest],
  ]);
  expect(final.steps.map((s) => [s.id, s.status])).toEqual([
    ['approve', 'succeeded'],
    ['effect', 'succeeded'],
  ]);
  expect(final.steps[1].evidence).toMatchObject({ op: 'ledger.record', outcome: 'applied' });
  expect((await h.ledger()).filter((e) => e.ceremonyId === id).map((e) => e.key)).toEqual(['effect']);
  const mails = h.outbox().filter((m) => m.ceremonyId === id);
  expect(mails.find((m) => m.kind === 'approval-requested')?.to.sort()).toEqual([...APPROVERS].sort());
  expect(mails.find((m) => m.kind === 'approval-requested')?.body).toContain(digest);
  expect(mails.some((m) => m.kind === 'outcome' && m.to.includes(REQUESTER))).toBe(true);
});

describe('refused decisions change nothing', () => {
  let id: string;
  let digest: string;
  beforeAll(async () => {
    ({ id, digest } = await openCeremony(3));
    await h.ceremonies.approve(id, { gate: 'approve', approver: alice, planDigest: digest });
  });

  async function expectRefused(action: Promise<unknown>, message: RegExp) {
    const before = await h.ceremonies.status(id);
    await expect(action).rejects.toThrow(CeremonyRefusal);
    await expect(action).rejects.toThrow(message);
    const after = await h.ceremonies.status(id);
    expect(after.decisions).toEqual(before.decisions);
    expect(after.phase).toBe('awaiting-approval');
  }

  test('the requester cannot approve their own ceremony', async () => {
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: REQUESTER, planDigest: digest }),
      /requested this ceremony and cannot approve it/,
    );
  });

  test('a second approval by the same person is refused', async () => {
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: alice.toUpperCase(), planDigest: digest }),
      /already decided/,
    );
  });

  test('an approval for another plan digest is refused', async () => {
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: 'f'.repeat(64) }),
      /plan digest mismatch/,
    );
  });

  test('someone outside the approver group is refused', async () => {
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: OPERATOR, planDigest: digest }),
      /not an approver of gate "approve"/,
    );
  });

  test('an unknown gate, a malformed digest and a reject without reason are refused', async () => {
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'other', approver: bob, planDigest: digest }),
      /no gate "other"/,
    );
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: 'abc' }),
      /planDigest: expected the 64-hex-digit/,
    );
    await expectRefused(
      h.ceremonies.reject(id, { gate: 'approve', approver: bob, planDigest: digest, reason: '  ' }),
      /reason: a reason is required/,
    );
  });

  test('a link nonce is usable once', async () => {
    const nonce = 'n0nce-aaaaaaaaaaaaaaaa';
    await h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: digest, nonce }, keyring.attestation);
    await expectRefused(
      h.ceremonies.approve(id, { gate: 'approve', approver: carol, planDigest: digest, nonce }),
      /link has already been used/,
    );
  });
});

test('one reject vetoes the ceremony and no further step runs', async () => {
  const { id, digest } = await openCeremony();
  await h.ceremonies.approve(id, { gate: 'approve', approver: alice, planDigest: digest });
  await h.ceremonies.reject(id, {
    gate: 'approve',
    approver: carol,
    planDigest: digest,
    reason: 'wrong maintenance window',
  });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('rejected');
  expect(final.steps.map((s) => s.status)).toEqual(['rejected', 'pending']);
  expect(final.steps[0].error).toContain('wrong maintenance window');
  expect((await h.ledger()).filter((e) => e.ceremonyId === id)).toEqual([]);
  await expect(h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: digest })).rejects.toThrow(
    `ceremony ${id} has already ended (rejected)`,
  );
});

test('status and timeline tell the story in order, with actors', async () => {
  const { id, digest } = await openCeremony();
  const open = await h.ceremonies.status(id);
  expect(open).toMatchObject({
    ceremonyId: id,
    kind: 'rehearsal',
    hsm: 'hsm-test',
    requester: REQUESTER,
    currentStep: 'approve',
    cancellable: true,
  });
  expect(open.openGate).toMatchObject({ id: 'approve', quorum: 2, approvedBy: [], pending: APPROVERS });
  await h.ceremonies.approve(id, { gate: 'approve', approver: bob, planDigest: digest });
  await h.ceremonies.approve(id, { gate: 'approve', approver: carol, planDigest: digest });
  await result(h.ceremonies, id);

  const timeline = await h.ceremonies.timeline(id);
  expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i + 1));
  expect(timeline.map((e) => [e.type, e.actor, e.step ?? null])).toEqual([
    ['ceremony-started', REQUESTER, null],
    ['policy-checked', 'worker', null],
    ['gate-opened', 'system', 'approve'],
    ['approve', bob, 'approve'],
    ['approve', carol, 'approve'],
    ['gate-passed', 'system', 'approve'],
    ['step-started', 'worker', 'effect'],
    ['step-succeeded', 'worker', 'effect'],
    ['ceremony-ended', 'system', null],
  ]);
  const times = timeline.map((e) => Date.parse(e.at));
  expect([...times].sort((a, b) => a - b)).toEqual(times);
});
