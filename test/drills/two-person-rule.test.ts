import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TypedSearchAttributes } from '@temporalio/common';
import { auditEvents } from '../../audit/verifier/history';
import { buildPlan } from '../../ceremonies/build-plan';
import { gatePoint, runChallenge } from '../../ceremonies/decision-signature';
import { loadInventory } from '../../ceremonies/inventory';
import { PlanSchema, type PlanInput } from '../../ceremonies/plan';
import { approveUpdate, rejectUpdate } from '../../workflows/messages';
import { CEREMONY_PHASE } from '../../contract/search-attributes';
import { buildWebServer } from '../../web/server';
import { SIGNATURE_HEADER, signBody } from '../../web/webhooks';
import { cli } from '../support/cli';
import { keyFile, keyring, signerFor } from '../support/people';
import { REQUESTER, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { result, waitForStatus } from '../support/harness';
import { AZURE_RESOURCE_ID, initialiseDirectly } from '../support/simulated-hsm';

// Drill: the bypasses an attacker found against the two-person rule, tried through each door
// they have — the CLI, a ticket webhook, and a raw Temporal client that can start workflows and
// send updates but runs no worker. Each is refused (or the ceremony ends `refused` before any
// step), and nothing reaches the appliance.

const SECRET = 'two-person-webhook-secret';
let env: CeremonyEnv;
let web: FastifyInstance;
let base: string;
let seq = 0;

beforeAll(async () => {
  env = await startCeremonyEnv('two-person');
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 5, assignedToBackup: true }]);
  web = await buildWebServer({
    ceremonies: env.h.ceremonies,
    webhooks: { inventory: () => loadInventory(env.sim.inventoryPath), secrets: { generic: SECRET } },
  });
  base = await web.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.h.config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: env.h.config.TEMPORAL_TASK_QUEUE,
    CEREMONY_INVENTORY: env.sim.inventoryPath,
  });
});
afterAll(async () => {
  await web?.close();
  await env?.close();
});

const ticket = () => `BYPASS-${Date.now().toString(36)}${++seq}`;
const deviceLog = () => env.sim.appliance.state.read().audit.map((a) => a.command);
const backupLog = () => env.sim.backup.state.read().audit.map((a) => a.command);

async function webhook(kind: string, params: Record<string, string>, hsm = 'hsm-sim-1') {
  const key = ticket();
  const body = JSON.stringify({ ticket: key, kind, hsm, requester: REQUESTER, params });
  const res = await fetch(`${base}/webhooks/tickets/generic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER.generic]: signBody(SECRET, body) },
    body,
  });
  return {
    status: res.status,
    json: (await res.json()) as { error?: string; problems?: string[] },
    id: `ceremony-generic-${key}`,
  };
}

/** A raw update's refusal, with the workflow's reason as the message. */
async function raw<T>(update: Promise<T>): Promise<T> {
  try {
    return await update;
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${((err as { cause?: Error }).cause ?? (err as Error)).message}`);
  }
}

async function startedNothing(id: string) {
  await expect(env.h.ceremonies.status(id)).rejects.toThrow(/no ceremony/);
}

describe('requests that would pass a gate are refused when built, through the CLI and a webhook', () => {
  test.each([
    [
      'a standing approval named "constructor"',
      'backup',
      { partitions: 'payments', standingApproval: 'constructor' },
      'hsm-sim-1',
      /standingApprovals.constructor: required by the request/,
    ],
    [
      'an HSM named "constructor"',
      'backup',
      { partitions: 'payments' },
      'constructor',
      /hsm: unknown HSM "constructor"/,
    ],
    [
      'a group named "constructor"',
      'rehearsal',
      { group: 'constructor' },
      'hsm-sim-1',
      /approverGroups.constructor: the group is required by this ceremony but missing/,
    ],
    [
      'quorum=1 for a zeroize',
      'zeroize-deprovision',
      { quorum: '1', waiver: 'decommissioned without keys' },
      'hsm-sim-1',
      /policy needs at least 2 approvals from security-officers \(quorum=2\)/,
    ],
    [
      'quorum=1 for a backup',
      'backup',
      { partitions: 'payments', quorum: '1' },
      'hsm-sim-1',
      /backup.partition is key-material on hsm-sim-1: the policy needs at least 2/,
    ],
  ])('%s', async (_what, kind, params, hsm, says) => {
    const hook = await webhook(kind, params, hsm);
    expect(hook.status).toBe(422);
    expect((hook.json.problems ?? []).join('\n')).toMatch(says);
    await startedNothing(hook.id);

    const key = ticket();
    const run = await cli(
      'start',
      kind,
      '--hsm',
      hsm,
      '--ticket',
      `jira:${key}`,
      '--requester',
      REQUESTER,
      ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(says);
    expect(run.err).not.toMatch(/TypeError|\n\s+at /);
    await startedNothing(`ceremony-jira-${key}`);
    expect(deviceLog()).toEqual([]);
  });
});

describe('plans started directly on Temporal end refused before any step', () => {
  const frame = (kind: PlanInput['kind'], steps: PlanInput['steps'], over: Partial<PlanInput> = {}) =>
    PlanSchema.parse({
      version: 1,
      kind,
      title: 'bypass',
      requester: REQUESTER,
      ticket: `jira:${ticket()}`,
      hsm: 'hsm-sim-1',
      operators: ['operator@example.com'],
      steps,
      ...over,
    });
  const gate = (quorum: number, approvers = ['alice@example.com', 'bob@example.com', 'carol@example.com']) =>
    ({
      id: 'approve',
      type: 'approval',
      title: 'Approve',
      group: 'security-officers',
      approvers,
      quorum,
      deadline: '1h',
    }) as const;
  const zeroize = {
    id: 'zeroize',
    type: 'device',
    title: 'Zeroize',
    hsm: 'hsm-sim-1',
    op: 'hsm.zeroize',
    irreversible: true,
  } as const;

  test.each([
    [
      'a zeroize with no gate',
      frame('zeroize-deprovision', [zeroize]),
      /zeroize\): hsm.zeroize is irreversible on hsm-sim-1: the policy needs 2 approvals from security-officers before it/,
    ],
    [
      'the Azure delete with no gate',
      frame('zeroize-deprovision', [
        {
          id: 'deprovision',
          type: 'api',
          title: 'Delete',
          op: 'azure.deleteDedicatedHsm',
          irreversible: true,
          args: { resourceId: AZURE_RESOURCE_ID },
        },
      ]),
      /azure.deleteDedicatedHsm is irreversible/,
    ],
    [
      'a zeroize marked read-only by a quorum-1 gate',
      frame('zeroize-deprovision', [gate(1), zeroize]),
      /gate approve asks only 1/,
    ],
    [
      'a backup on a standing approval named "constructor"',
      frame('backup', [
        { id: 'standing', type: 'check', title: 's', op: 'approval.standing', args: { id: 'constructor' } },
        {
          id: 'backup',
          type: 'device',
          title: 'b',
          hsm: 'hsm-sim-1',
          op: 'backup.partition',
          args: { partition: 'payments' },
        },
      ]),
      /standing approval "constructor" is not in the inventory/,
    ],
    [
      'a zeroize on a standing approval (it never covers an irreversible step)',
      frame('backup', [
        { id: 'standing', type: 'check', title: 's', op: 'approval.standing', args: { id: 'nightly-backup' } },
        zeroize,
      ]),
      /hsm.zeroize is irreversible .* the plan has no such gate/,
    ],
    [
      'a gate of people outside the group',
      frame('zeroize-deprovision', [gate(2, ['mallory@example.com', 'eve@example.com']), zeroize]),
      /mallory@example.com, eve@example.com not in group security-officers/,
    ],
    [
      'an operator the inventory does not know',
      frame('rehearsal', [{ id: 'show', type: 'check', title: 'show', op: 'hsm.show' }], {
        operators: ['mallory@example.com'],
      }),
      /operators: mallory@example.com not operators/,
    ],
    [
      'an HSM named "constructor"',
      frame('rehearsal', [{ id: 'show', type: 'check', title: 'show', op: 'hsm.show' }], { hsm: 'constructor' }),
      /unknown HSM "constructor"/,
    ],
    [
      'a child ceremony hiding a zeroize',
      frame('firmware-upgrade', [{ id: 'child', type: 'ceremony', title: 'c', plan: frame('backup', [zeroize]) }]),
      /steps\[0\] \(child\).plan.steps\[0\] \(zeroize\): hsm.zeroize is irreversible/,
    ],
  ])('%s', async (_what, plan, says) => {
    // a raw Temporal client: what anyone who can reach the frontend can do without a worker
    const id = `ceremony-raw-${ticket().toLowerCase()}`;
    const handle = await env.h.ceremonies.client.workflow.start('ceremonyWorkflow', {
      workflowId: id,
      taskQueue: env.h.config.TEMPORAL_TASK_QUEUE,
      args: [{ plan }],
      typedSearchAttributes: new TypedSearchAttributes([{ key: CEREMONY_PHASE, value: 'running' }]),
    });
    const final = await result(env.h.ceremonies, id);
    expect(final.phase).toBe('refused');
    expect(final.steps.every((s) => s.status === 'skipped')).toBe(true);
    const refused = (await env.h.ceremonies.timeline(id)).find((e) => e.type === 'policy-refused');
    expect(refused?.detail).toMatch(says);
    expect(final.refusal).toBe(refused?.detail);
    expect((await cli('status', id)).out).toContain(`refused by the worker's policy check: ${refused?.detail}`);
    // nothing but the policy check (a local activity) and the outcome mail ran
    const activities = (await auditEvents(await handle.fetchHistory())).flatMap((e) =>
      e.activity ? [{ type: e.activity.type, local: Boolean(e.activity.local) }] : [],
    );
    expect(activities.filter((a) => a.type !== 'notify' && a.type !== 'ticketComment')).toEqual([
      { type: 'checkPolicy', local: true },
    ]);
    expect(deviceLog()).toEqual([]);
    expect(backupLog()).toEqual([]);
  });
});

describe('who decided is proven by a signature, not by a field', () => {
  let id: string;
  let digest: string;
  /** This run's id: each gate's challenge is bound to it (a decision signs its gate's). */
  let runId: string;
  beforeAll(async () => {
    id = await env.start('zeroize-deprovision', { waiver: 'the HSM never held production keys' });
    digest = (await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval')).planDigest;
    runId = (await env.h.ceremonies.handle(id).describe()).runId;
  });

  async function expectRefused(attempt: () => Promise<unknown>, says: RegExp) {
    const before = await env.h.ceremonies.status(id);
    await expect(attempt()).rejects.toThrow(says);
    const after = await env.h.ceremonies.status(id);
    expect(after.decisions).toEqual(before.decisions);
    expect(after.phase).toBe('awaiting-approval');
  }

  test('one shell cannot approve as alice and then as bob', async () => {
    const first = await cli(
      'approve',
      id,
      '--gate',
      'approve-waiver',
      '--digest',
      digest,
      '--as',
      'alice@example.com',
      '--key',
      keyFile('alice@example.com'),
    );
    expect(first).toMatchObject({ code: 0, out: 'approved: gate approve-waiver has 1 of 2' });
    await expectRefused(async () => {
      const second = await cli(
        'approve',
        id,
        '--gate',
        'approve-waiver',
        '--digest',
        digest,
        '--as',
        'bob@example.com',
        '--key',
        keyFile('alice@example.com'),
      );
      throw new Error(second.err);
    }, /refused: the decision is signed with a key that is neither bob@example.com's nor the web app's/);
    expect((await env.h.ceremonies.status(id)).decisions.map((d) => [d.actor, d.via])).toEqual([
      ['alice@example.com', 'cli'],
    ]);
  });

  test('a raw update that claims "via: email-link" with a made-up nonce is refused', async () => {
    const handle = env.h.ceremonies.handle(id);
    const claim = {
      gate: 'approve-waiver',
      approver: 'bob@example.com',
      planDigest: digest,
      via: 'email-link',
      nonce: 'made-up-nonce-0000000000',
    };
    await expectRefused(
      () => raw(handle.executeUpdate(approveUpdate, { args: [claim as never] })),
      /Unrecognized key: "via"|signature/,
    );
    const { via: _via, ...unsigned } = claim;
    await expectRefused(
      () => raw(handle.executeUpdate(approveUpdate, { args: [unsigned as never] })),
      /signature: Invalid input|at: /,
    );
  });

  const signed = (
    signer = signerFor('bob@example.com'),
    over: Partial<{ at: string; text: string; actor: string; gate: string; nonce: string }> = {},
  ) => {
    const gate = over.gate ?? 'approve-waiver';
    const challenge = runChallenge(runId, gatePoint(gate));
    const fields = {
      ceremonyId: id,
      gate,
      planDigest: digest,
      decision: 'approve' as const,
      actor: over.actor ?? 'bob@example.com',
      text: over.text ?? '',
      nonce: over.nonce ?? randomBytes(16).toString('base64url'),
      at: over.at ?? new Date().toISOString(),
      challenge,
    };
    return {
      gate,
      approver: fields.actor,
      planDigest: digest,
      nonce: fields.nonce,
      at: fields.at,
      signature: signer.sign(fields),
      challenge,
    };
  };

  test('a signature by another key, over other words, or from another time is refused', async () => {
    const handle = env.h.ceremonies.handle(id);
    await expectRefused(
      () => raw(handle.executeUpdate(approveUpdate, { args: [signed(keyring.signer('mallory@example.com'))] })),
      /signed with a key that is neither bob@example.com's nor the web app's/,
    );
    await expectRefused(
      () => raw(handle.executeUpdate(approveUpdate, { args: [{ ...signed(), comment: 'added after signing' }] })),
      /the signature does not match the decision/,
    );
    await expectRefused(
      () =>
        raw(
          handle.executeUpdate(approveUpdate, {
            args: [{ ...signed(undefined, { actor: 'carol@example.com' }), approver: 'bob@example.com' }],
          }),
        ),
      /the signature does not match the decision/,
    );
    await expectRefused(
      () =>
        raw(
          handle.executeUpdate(approveUpdate, {
            args: [
              {
                ...signed(undefined, { gate: 'approve' }),
                gate: 'approve-waiver',
                challenge: runChallenge(runId, gatePoint('approve-waiver')),
              },
            ],
          }),
        ),
      /the signature does not match the decision/,
    );
    // moved with the challenge it signed: that is another gate's
    await expectRefused(
      () =>
        raw(
          handle.executeUpdate(approveUpdate, {
            args: [{ ...signed(undefined, { gate: 'approve' }), gate: 'approve-waiver' }],
          }),
        ),
      /it was signed for another run or another opening/,
    );
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await expectRefused(
      () => raw(handle.executeUpdate(approveUpdate, { args: [signed(undefined, { at: old })] })),
      /more than 10 minutes from now/,
    );
  });

  test('the web app key proves a link only: a CLI user cannot pass it off as their own', async () => {
    // carol signs with her own key but names the web app's public key: the signature fails
    const handle = env.h.ceremonies.handle(id);
    const challenge = runChallenge(runId, gatePoint('approve-waiver'));
    const fields = {
      ceremonyId: id,
      gate: 'approve-waiver',
      planDigest: digest,
      decision: 'reject' as const,
      actor: 'carol@example.com',
      text: 'no',
      nonce: randomBytes(16).toString('base64url'),
      at: new Date().toISOString(),
      challenge,
    };
    const forged = { ...signerFor('carol@example.com').sign(fields), publicKey: keyring.attestation.publicKey };
    await expectRefused(
      () =>
        raw(
          handle.executeUpdate(rejectUpdate, {
            args: [
              {
                gate: 'approve-waiver',
                approver: 'carol@example.com',
                planDigest: digest,
                reason: 'no',
                nonce: fields.nonce,
                at: fields.at,
                signature: forged,
                challenge,
              },
            ],
          }),
        ),
      /the signature does not match the decision/,
    );
  });

  test('a nonce is used once: a second decision that reuses it is refused', async () => {
    const handle = env.h.ceremonies.handle(id);
    await raw(handle.executeUpdate(approveUpdate, { args: [signed()] })); // bob: the waiver gate has its quorum
    await waitForStatus(env.h.ceremonies, id, (s) => s.openGate?.id === 'approve');
    const nonce = randomBytes(16).toString('base64url');
    await raw(handle.executeUpdate(approveUpdate, { args: [signed(undefined, { gate: 'approve', nonce })] }));
    await expectRefused(
      () =>
        raw(
          handle.executeUpdate(approveUpdate, {
            args: [signed(signerFor('carol@example.com'), { gate: 'approve', actor: 'carol@example.com', nonce })],
          }),
        ),
      /link has already been used/,
    );
    expect((await env.h.ceremonies.status(id)).decisions.map((d) => [d.gate, d.actor])).toEqual([
      ['approve-waiver', 'alice@example.com'],
      ['approve-waiver', 'bob@example.com'],
      ['approve', 'bob@example.com'],
    ]);
    await env.h.ceremonies.cancel(id, { by: REQUESTER, reason: 'drill done' });
    expect(deviceLog()).toEqual([]);
  });
});

describe('the worker runs only plans its own catalogue builds', () => {
  const OUTSIDER = 'mallory@example.org';

  /** Start a plan on a raw Temporal client, as anyone who reaches the frontend can. */
  async function startRaw(plan: unknown): Promise<string> {
    const id = `ceremony-raw-${ticket().toLowerCase()}`;
    await env.h.ceremonies.client.workflow.start('ceremonyWorkflow', {
      workflowId: id,
      taskQueue: env.h.config.TEMPORAL_TASK_QUEUE,
      args: [{ plan }],
      typedSearchAttributes: new TypedSearchAttributes([{ key: CEREMONY_PHASE, value: 'running' }]),
    });
    return id;
  }

  test('a backup plan on the nightly standing approval with an added syslog step to an outside host is refused before any step, and only the operators hear of it', async () => {
    const key = ticket();
    // the catalogue's own plan for a standing-approved backup, as `ceremony start` builds it ...
    const genuine = buildPlan(
      {
        kind: 'backup',
        hsm: 'hsm-sim-1',
        ticket: `jira:${key}`,
        requester: OUTSIDER,
        params: { partitions: 'payments', standingApproval: 'nightly-backup' },
      },
      loadInventory(env.sim.inventoryPath),
    ).plan;
    // ... with one more step after the standing approval: syslog to a host the attacker owns
    const steps = [...genuine.steps];
    steps.splice(steps.findIndex((s) => s.id === 'standing-approval') + 1, 0, {
      id: 'syslog',
      type: 'device',
      title: 'Syslog',
      hsm: 'hsm-sim-1',
      op: 'hsm.configureSyslog',
      args: { host: '203.0.113.66' },
    } as never);
    const forged = PlanSchema.parse({ ...genuine, steps });
    const mailsBefore = env.h.outbox().length;

    const id = await startRaw(forged);
    const final = await result(env.h.ceremonies, id);
    expect(final.phase).toBe('refused');
    expect(final.decisions).toEqual([]);
    expect(final.steps.every((s) => s.status === 'skipped')).toBe(true);
    expect(final.refusal).toMatch(
      /not the plan the worker's catalogue builds from its request \(backup on hsm-sim-1 for jira:BYPASS-[^)]+\): step 4 is syslog \(device hsm.configureSyslog\): the catalogue's plan has register-workstation \(device client.register\)/,
    );
    expect(deviceLog()).toEqual([]);
    expect(backupLog()).toEqual([]);

    // the refusal is recorded, and told to the worker's operators only: no comment on the ticket
    // the plan names, no mail to the requester it names
    const handle = env.h.ceremonies.handle(id);
    const activities = (await auditEvents(await handle.fetchHistory())).flatMap((e) =>
      e.activity ? [e.activity.type] : [],
    );
    expect(activities).not.toContain('ticketComment');
    expect((await env.h.ceremonies.timeline(id)).map((e) => e.type)).toEqual([
      'ceremony-started',
      'policy-refused',
      'ceremony-ended',
    ]);
    const mails = env.h
      .outbox()
      .slice(mailsBefore)
      .filter((m) => m.ceremonyId === id);
    expect(mails.flatMap((m) => m.to)).toEqual(['operator@example.com']);
    expect(mails[0].body).toContain(final.refusal);
    expect(mails.flatMap((m) => m.to)).not.toContain(OUTSIDER);
  });

  test('a plan the catalogue builds, started on a raw client, runs (the check refuses forgeries, not raw starts)', async () => {
    const plan = buildPlan(
      { kind: 'rehearsal', hsm: 'hsm-sim-1', ticket: `jira:${ticket()}`, requester: REQUESTER, params: {} },
      loadInventory(env.sim.inventoryPath),
    ).plan;
    const id = await startRaw(plan);
    const status = await waitForStatus(env.h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
    expect(status.refusal).toBeUndefined();
    await env.h.ceremonies.reject(id, {
      gate: 'approve',
      approver: 'alice@example.com',
      planDigest: status.planDigest,
      reason: 'drill over',
    });
    expect((await result(env.h.ceremonies, id)).phase).toBe('rejected');
  });

  test('a standing approval covers the partitions it names only: payments, not vault (CLI and webhook)', async () => {
    const hook = await webhook('backup', { partitions: 'payments,vault', standingApproval: 'nightly-backup' });
    expect(hook.status).toBe(422);
    expect((hook.json.problems ?? []).join('\n')).toMatch(
      /standing approval nightly-backup covers the partitions payments, tokens, not vault/,
    );
    await startedNothing(hook.id);
    const key = ticket();
    const run = await cli(
      'start',
      'backup',
      '--hsm',
      'hsm-sim-1',
      '--ticket',
      `jira:${key}`,
      '--requester',
      REQUESTER,
      '--param',
      'partitions=payments,vault',
      '--param',
      'standingApproval=nightly-backup',
    );
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/standing approval nightly-backup covers the partitions payments, tokens, not vault/);
    await startedNothing(`ceremony-jira-${key}`);
    expect(deviceLog()).toEqual([]);
  });
});
