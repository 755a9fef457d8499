import {
  CANCEL_POINT,
  gatePoint,
  interventionPoint,
  runChallenge,
  type DecisionFields,
  type DecisionKind,
  type DecisionSignature,
  type OperatorActionKind,
  type SignInIdentity,
} from '../../ceremonies/decision-signature';
import {
  actionSignedVia,
  challengeProblem,
  eligibleFor,
  signatureMatches,
  signedVia,
} from '../../workflows/gate-rules';
import { approvers, gatePassed, gateQuorum, isSelfApproval, policyMet, stepKind } from '../../ceremonies/rules';
import { CHALLENGE_PATCH } from '../../workflows/messages';
import { SIDE_ACTIVITY_NAMES, type SideActivityName } from '../../contract/activities';
import type { UpdateName } from '../../contract/messages';
import { planDigest } from '../../ceremonies/digest';
import { operationKind, type OperationName } from '../../ceremonies/operations';
import { PlanSchema, isGate, isOperation, type Plan } from '../../ceremonies/plan';
import type { PolicySnapshot } from '../../ceremonies/policy';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import { nativeEd25519Verify } from './ed25519';
import { CLOSE_EVENT_TYPES, type AuditEvent } from './history';

// The ceremony's promises, checked from its history alone: the auditor need not trust anyone but
// the worker that recorded the policy check (whoever can run a worker is trusted).

/** Every invariant checkInvariants can report (each checked by its own function, INVARIANT_CHECKS), by id, with the name a verdict shows for it. */
export const INVARIANTS = {
  'history-complete': 'history complete (ends in a close event)',
  'policy-checked-first': "worker's policy check before any step",
  'decisions-signed': 'decision signatures',
  'operator-actions-signed': 'resolve and cancel signatures',
  'approvals-bound-to-plan': "approvals name the plan's digest",
  'no-self-approval': 'no self-approval',
  'approver-in-group': 'deciders eligible for their gate',
  'quorum-before-gated-steps': 'quorum before gated steps',
  'policy-before-gated-steps': "policy's gates met before each step",
  'no-irreversible-after-cancel': 'no irreversible step after a cancel',
  'zeroize-verified-before-deprovision': 'zeroize verified before the Azure deprovision',
  'backup-verified-before-firmware-upgrade': 'verified backup before a firmware upgrade',
  'device-steps-evidence': 'probe/act/verify evidence for every device step',
} as const;

export type InvariantId = keyof typeof INVARIANTS;

export interface Violation {
  invariant: InvariantId;
  eventIds: number[];
  detail: string;
}

/** A decision in the history: the fields its signature covers, and what the signature proves. */
export type DecisionEvent = Omit<DecisionFields, 'ceremonyId' | 'decision'> & {
  eventId: number;
  name: DecisionKind;
  signature?: DecisionSignature;
  /** Which key signed, per the recorded policy: the decider's own (`cli`) or the web app's
   * (`email-link`); `unsigned` / `unknown key` otherwise. */
  via: string;
  signatureValid: boolean;
  /** Why the challenge it signed is not its gate's in this run, if it is not. */
  challengeProblem?: string;
};

/** A resolve or cancel in the history, and what its signature proves. */
export interface OperatorActionEvent {
  eventId: number;
  name: OperatorActionKind;
  by: string;
  step: string;
  /** `cli`, `web-login`, `unsigned` or `unknown key`. */
  via: string;
  /** The key it is signed with, when signed (the auditor's trust anchor must vouch for it). */
  publicKey?: string;
  /** Why it does not prove itself, or undefined when it does. */
  problem?: string;
}

/** The activities beside the plan's steps: mail, ticket comments and the policy check. */
export const SIDE_ACTIVITIES: ReadonlySet<string> = new Set(SIDE_ACTIVITY_NAMES);
// the names the audit compares against, checked against the contract (a rename fails to compile here)
const CANCEL = 'cancel' satisfies UpdateName;
const RESOLVE = 'resolve' satisfies UpdateName;
const CHECK_POLICY = 'checkPolicy' satisfies SideActivityName;
/** An operation named by an invariant: a catalogue name, so a rename cannot leave it behind. */
const op_ = (name: OperationName): string => name;
const DECISIONS = new Set(['approve', 'reject', 'signoff']);

export interface AuditFacts {
  ceremonyId: string;
  runId: string;
  parentWorkflowId?: string;
  plan: Plan;
  digest: string;
  /** What the worker checked the plan against (the `checkPolicy` activity's result). */
  policy?: { eventId: number; completedAt?: number; snapshot?: PolicySnapshot; input?: { ceremonyId?: string } };
  decisions: DecisionEvent[];
  operations: {
    eventId: number;
    type: string;
    input: OperationInput;
    completedAt?: number;
    result?: OperationEvidence;
  }[];
  cancels: number[];
  resolutions: { eventId: number; args: Record<string, unknown> }[];
  /** Whether the run issued challenges (it recorded CHALLENGE_PATCH): then every decision signs
   * its gate's, and resolve and cancel are signed. */
  challenged: boolean;
  /** Each resolve and cancel, its signature checked. */
  operatorActions: OperatorActionEvent[];
  children: { eventId: number; workflowId: string; result: { kind?: string; phase?: string } }[];
  /** The close event, when the history has one, and the final phase the workflow returned. */
  close?: { eventId: number; type: string; phase?: string };
  eventCount: number;
  lastEventId: number;
}

/** The sign-in identity a decision recorded (v3), when it has one of the right shape; a history
 * from before sign-in has none. */
function signInIdentityOf(value: unknown): SignInIdentity | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { issuer, subject } = value as Record<string, unknown>;
  return typeof issuer === 'string' && typeof subject === 'string' ? { issuer, subject } : undefined;
}

function decisionOf(
  e: AuditEvent,
  name: DecisionKind,
  ceremonyId: string,
  policy: PolicySnapshot | undefined,
  run: { runId: string; challenged: boolean },
): DecisionEvent {
  const arg = (e.update!.args[0] ?? {}) as Record<string, unknown>;
  const actor = String(arg.approver ?? arg.by ?? '').toLowerCase();
  const text = String((name === 'approve' ? arg.comment : name === 'reject' ? arg.reason : arg.reference) ?? '');
  const signature = arg.signature as DecisionSignature | undefined;
  const challenge = typeof arg.challenge === 'string' ? arg.challenge : undefined;
  const identity = signInIdentityOf(arg.identity);
  const d = {
    eventId: e.id,
    name,
    gate: String(arg.gate),
    actor,
    planDigest: String(arg.planDigest),
    text,
    nonce: String(arg.nonce ?? ''),
    at: String(arg.at ?? ''),
    ...(challenge !== undefined ? { challenge } : {}),
    ...(identity !== undefined ? { identity } : {}),
  };
  // the workflow's own rules, applied again to what the history recorded
  const via = !signature ? 'unsigned' : (signedVia(policy, actor, signature.publicKey) ?? 'unknown key');
  const signatureValid = Boolean(
    signature && via !== 'unknown key' && signatureMatches(ceremonyId, name, d, signature, nativeEd25519Verify),
  );
  const expected = run.challenged ? runChallenge(run.runId, gatePoint(d.gate)) : undefined;
  const wrong = challengeProblem(`gate "${d.gate}"`, expected, challenge);
  return { ...d, signature, via, signatureValid, ...(wrong ? { challengeProblem: wrong } : {}) };
}

/** A resolve or cancel, checked as the workflow checks it: signed by the actor's key (or the
 * web app's after a login) over the challenge of its point in this run. Unsigned is a failure in
 * a run that issued challenges; a run from before them took resolve and cancel unsigned. */
function operatorActionOf(
  e: AuditEvent,
  ceremonyId: string,
  policy: PolicySnapshot | undefined,
  run: { runId: string; challenged: boolean },
  point: string,
): OperatorActionEvent {
  const arg = (e.update!.args[0] ?? {}) as Record<string, unknown>;
  const name: OperatorActionKind = e.update!.name === CANCEL ? 'cancel' : arg.action === 'abort' ? 'abort' : 'retry';
  const by = String(arg.by ?? '').toLowerCase();
  const step = name === 'cancel' ? '' : String(arg.step ?? '');
  const signature = arg.signature as DecisionSignature | undefined;
  const base = { eventId: e.id, name, by, step };
  if (!signature) return { ...base, via: 'unsigned', ...(run.challenged ? { problem: 'carries no signature' } : {}) };
  const signed = { ...base, publicKey: String(signature.publicKey) };
  const via = actionSignedVia(policy, by, signature.publicKey) ?? 'unknown key';
  if (via === 'unknown key')
    return {
      ...signed,
      via,
      problem: `is signed with a key that is neither ${by}'s nor the web app's in the recorded policy`,
    };
  const challenge = typeof arg.challenge === 'string' ? arg.challenge : undefined;
  const fields = {
    gate: step,
    planDigest: String(arg.planDigest ?? ''),
    actor: by,
    text: String(arg.reason ?? ''),
    nonce: String(arg.nonce ?? ''),
    at: String(arg.at ?? ''),
    ...(challenge !== undefined ? { challenge } : {}),
  };
  if (!signatureMatches(ceremonyId, name, fields, signature, nativeEd25519Verify))
    return { ...signed, via, problem: 'has a signature that does not match it' };
  const wrong = challengeProblem(
    name === 'cancel' ? 'cancel point' : 'intervention',
    run.challenged ? runChallenge(run.runId, point) : undefined,
    challenge,
  );
  return { ...signed, via, ...(wrong ? { problem: wrong } : {}) };
}

export function auditFacts(events: AuditEvent[]): AuditFacts {
  const start = events.find((e) => e.startInput !== undefined);
  const plan = PlanSchema.parse((start?.startInput as { plan?: unknown } | undefined)?.plan);
  const policyEvent = events.find((e) => e.activity?.type === CHECK_POLICY);
  const policyDone = policyEvent && events.find((e) => e.activityResult?.scheduledId === policyEvent.id);
  const snapshot = policyDone?.activityResult?.result as PolicySnapshot | undefined;
  const policyInput = policyEvent?.activity?.input as { ceremonyId?: string } | undefined;
  // the start event names the workflow (servers before 1.21 did not): else the policy check's input
  const ceremonyId = start?.started?.workflowId || policyInput?.ceremonyId || '';
  const decisions: DecisionEvent[] = [];
  const cancels: number[] = [];
  const resolutions: AuditFacts['resolutions'] = [];
  const operatorActions: OperatorActionEvent[] = [];
  const run = { runId: start?.started?.runId ?? '', challenged: events.some((e) => e.patch === CHALLENGE_PATCH) };
  for (const e of events) {
    if (!e.update) continue;
    if (DECISIONS.has(e.update.name))
      decisions.push(decisionOf(e, e.update.name as DecisionKind, ceremonyId, snapshot, run));
    else if (e.update.name === CANCEL) {
      cancels.push(e.id);
      operatorActions.push(operatorActionOf(e, ceremonyId, snapshot, run, CANCEL_POINT));
    } else if (e.update.name === RESOLVE) {
      resolutions.push({ eventId: e.id, args: (e.update.args[0] ?? {}) as Record<string, unknown> });
      // each intervention takes one resolve: the n-th resolve answers intervention n
      operatorActions.push(operatorActionOf(e, ceremonyId, snapshot, run, interventionPoint(resolutions.length)));
    }
  }
  const operations: AuditFacts['operations'] = events
    .filter((e) => e.activity && !SIDE_ACTIVITIES.has(e.activity.type))
    .map((e) => ({ eventId: e.id, type: e.activity!.type, input: e.activity!.input as OperationInput }));
  for (const e of events) {
    if (!e.activityResult) continue;
    const op = operations.find((o) => o.eventId === e.activityResult!.scheduledId);
    if (op) Object.assign(op, { completedAt: e.id, result: e.activityResult.result as OperationEvidence });
  }
  const children = events
    .filter((e) => e.childCompleted)
    .map((e) => ({
      eventId: e.id,
      workflowId: e.childCompleted!.workflowId,
      result: e.childCompleted!.result as { kind?: string; phase?: string },
    }));
  const last = events.at(-1);
  const close =
    last && CLOSE_EVENT_TYPES.includes(last.type)
      ? { eventId: last.id, type: last.type, phase: (last.completedResult as { phase?: string } | undefined)?.phase }
      : undefined;
  return {
    ceremonyId,
    runId: start?.started?.runId ?? '',
    parentWorkflowId: start?.started?.parentWorkflowId,
    plan,
    digest: planDigest(plan),
    policy: policyEvent
      ? { eventId: policyEvent.id, completedAt: policyDone?.id, snapshot, input: policyInput }
      : undefined,
    decisions,
    operations,
    cancels,
    resolutions,
    challenged: run.challenged,
    operatorActions,
    children,
    close,
    eventCount: events.length,
    lastEventId: last?.id ?? 0,
  };
}

/** The approvals a gate had before `eventId`: distinct eligible deciders with valid signatures. */
function approvalsBefore(
  f: AuditFacts,
  gate: string,
  eventId: number,
): { approvers: Set<string>; vetoed: boolean; ids: number[] } {
  const before = f.decisions.filter((d) => d.gate === gate && d.eventId < eventId);
  const eligible = eligibleFor(f.policy?.snapshot ?? null, gate);
  const counted = before.filter(
    (d) =>
      d.signatureValid &&
      !d.challengeProblem &&
      eligible.includes(d.actor) &&
      !isSelfApproval(f.plan.requester, d.actor) &&
      d.planDigest === f.digest,
  );
  return {
    approvers: approvers(counted.map((d) => ({ actor: d.actor, decision: d.name }))),
    vetoed: before.some((d) => d.name === 'reject'),
    ids: before.map((d) => d.eventId),
  };
}

type Operation = AuditFacts['operations'][number];

/** The plan's step an operation ran for, and its index (-1: none). */
function stepOf(f: AuditFacts, op: Operation): { index: number; step: Plan['steps'][number] | undefined } {
  const index = f.plan.steps.findIndex((s) => s.id === op.input.stepId);
  return { index, step: f.plan.steps[index] };
}

/** Whether an operation of `type` completed before `op` was scheduled (and `ok` holds for it). */
function doneBefore(
  f: AuditFacts,
  op: Operation,
  type: OperationName,
  ok: (o: Operation) => boolean = () => true,
): boolean {
  return f.operations.some(
    (o) => o.type === type && o.completedAt !== undefined && o.completedAt < op.eventId && ok(o),
  );
}

/** One invariant's check: the violations of it the history shows. */
type InvariantCheck = (f: AuditFacts, events: AuditEvent[]) => Violation[];

function historyComplete(f: AuditFacts, events: AuditEvent[]): Violation[] {
  if (f.close) return [];
  return [
    {
      invariant: 'history-complete',
      eventIds: [f.lastEventId],
      detail: `the history ends at event ${f.lastEventId} (${events.at(-1)?.type ?? 'none'}), not in a close event: it is truncated or the ceremony had not ended`,
    },
  ];
}

function policyCheckedFirst(f: AuditFacts): Violation[] {
  const snapshot = f.policy?.snapshot;
  if (!f.policy || f.policy.completedAt === undefined || !snapshot) {
    if (f.operations.length === 0 && f.children.length === 0) return [];
    return [
      {
        invariant: 'policy-checked-first',
        eventIds: [f.policy?.eventId ?? f.operations[0]?.eventId ?? f.lastEventId],
        detail: "steps ran without a completed check of the plan against the worker's policy",
      },
    ];
  }
  const v: Violation[] = [];
  const completedAt = f.policy.completedAt;
  const early = [
    ...f.operations.filter((o) => o.eventId < completedAt),
    ...f.children.filter((c) => c.eventId < completedAt),
  ];
  if (early.length)
    v.push({
      invariant: 'policy-checked-first',
      eventIds: early.map((o) => o.eventId),
      detail: 'steps ran before the policy check completed',
    });
  if (snapshot.parent !== undefined && snapshot.parent !== f.parentWorkflowId) {
    v.push({
      invariant: 'policy-checked-first',
      eventIds: [f.policy.eventId],
      detail: `the policy check counted gates of parent ${snapshot.parent}, but this ceremony was not started by it (parent: ${f.parentWorkflowId ?? 'none'})`,
    });
  }
  return v;
}

function decisionsSigned(f: AuditFacts): Violation[] {
  return f.decisions.flatMap((d): Violation[] => {
    if (!d.signatureValid) {
      const why =
        d.via === 'unsigned'
          ? 'carries no signature'
          : d.via === 'unknown key'
            ? `is signed with a key that is neither ${d.actor}'s nor the web app's in the recorded policy`
            : 'has a signature that does not match it';
      return [
        {
          invariant: 'decisions-signed',
          eventIds: [d.eventId],
          detail: `${d.name} by ${d.actor} on gate ${d.gate} ${why}`,
        },
      ];
    }
    if (d.challengeProblem)
      return [
        {
          invariant: 'decisions-signed',
          eventIds: [d.eventId],
          detail: `${d.name} by ${d.actor} on gate ${d.gate} is not bound to this run: ${d.challengeProblem}`,
        },
      ];
    return [];
  });
}

function operatorActionsSigned(f: AuditFacts): Violation[] {
  return f.operatorActions.flatMap((a): Violation[] => {
    const v: Violation[] = [];
    const what = a.name === 'cancel' ? 'cancel' : `resolve (${a.name})`;
    if (a.problem)
      v.push({
        invariant: 'operator-actions-signed',
        eventIds: [a.eventId],
        detail: `${what} by ${a.by} ${a.problem}`,
      });
    // as the workflow decides it: operators resolve; operators or the requester cancel (before the
    // policy check answered, the plan's operators)
    const operators = f.policy?.snapshot?.operators ?? f.plan.operators;
    const eligible = operators.includes(a.by) || (a.name === 'cancel' && a.by === f.plan.requester);
    if (!eligible)
      v.push({
        invariant: 'operator-actions-signed',
        eventIds: [a.eventId],
        detail: `${what} by ${a.by}: ${a.name === 'cancel' ? 'neither the requester nor an operator' : 'not an operator'} in the recorded policy`,
      });
    return v;
  });
}

function approvalsBoundToPlan(f: AuditFacts): Violation[] {
  return f.decisions
    .filter((d) => d.planDigest !== f.digest)
    .map((d) => ({
      invariant: 'approvals-bound-to-plan',
      eventIds: [d.eventId],
      detail: `${d.name} by ${d.actor} names plan ${String(d.planDigest).slice(0, 12)}…, the plan in this history is ${f.digest.slice(0, 12)}…`,
    }));
}

function noSelfApproval(f: AuditFacts): Violation[] {
  return f.decisions
    .filter((d) => isSelfApproval(f.plan.requester, d.actor))
    .map((d) => ({
      invariant: 'no-self-approval',
      eventIds: [d.eventId],
      detail: `${d.actor} requested the ceremony and ${d.name}d it`,
    }));
}

function approverInGroup(f: AuditFacts): Violation[] {
  const snapshot = f.policy?.snapshot;
  if (!snapshot) return [];
  return f.decisions.flatMap((d): Violation[] => {
    const gate = snapshot.gates.find((g) => g.id === d.gate);
    if (gate?.eligible.includes(d.actor)) return [];
    return [
      {
        invariant: 'approver-in-group',
        eventIds: [d.eventId],
        detail: `${d.actor} may not decide on gate ${d.gate} (${gate ? `eligible: ${gate.eligible.join(', ')}` : 'no such gate in the recorded policy'})`,
      },
    ];
  });
}

function quorumBeforeGatedSteps(f: AuditFacts): Violation[] {
  return f.operations.flatMap((op) =>
    f.plan.steps
      .slice(0, Math.max(stepOf(f, op).index, 0))
      .filter(isGate)
      .flatMap((gate): Violation[] => {
        const { approvers, vetoed, ids } = approvalsBefore(f, gate.id, op.eventId);
        const quorum = gateQuorum(gate);
        if (gatePassed(approvers, vetoed, quorum)) return [];
        return [
          {
            invariant: 'quorum-before-gated-steps',
            eventIds: [op.eventId, ...ids],
            detail: `${op.type} (step ${op.input.stepId}) ran with ${approvers.size} of ${quorum} valid approvals on gate ${gate.id}`,
          },
        ];
      }),
  );
}

/** The policy: every step needing approval ran after what the recorded policy named for it. */
function policyBeforeGatedSteps(f: AuditFacts): Violation[] {
  const snapshot = f.policy?.snapshot;
  return f.operations.flatMap((op): Violation[] => {
    const v: Violation[] = [];
    const { step } = stepOf(f, op);
    const required = snapshot?.steps.find((s) => s.id === op.input.stepId);
    const currentKind = step && isOperation(step) ? stepKind(step, operationKind(step.op)) : undefined;
    if (snapshot && !required)
      v.push({
        invariant: 'policy-before-gated-steps',
        eventIds: [op.eventId],
        detail: `${op.type} (step ${op.input.stepId}) is not in the recorded policy check`,
      });
    if (
      required &&
      currentKind &&
      required.kind !== currentKind &&
      (currentKind === 'irreversible' || currentKind === 'key-material')
    ) {
      v.push({
        invariant: 'policy-before-gated-steps',
        eventIds: [f.policy!.eventId, op.eventId],
        detail: `the recorded policy check calls ${op.type} ${required.kind}; it is ${currentKind}`,
      });
    }
    const rule = required?.rule;
    if (!required || !rule) return v;
    const { met, open } = policyMet(required, (id) => {
      const standing = snapshot!.standing.find((s) => s.stepId === id);
      if (standing)
        return f.operations.some(
          (o) =>
            o.input.stepId === id &&
            o.type === op_('approval.standing') &&
            o.completedAt !== undefined &&
            o.completedAt < op.eventId,
        );
      const gate = snapshot!.gates.find((g) => g.id === id);
      const { approvers, vetoed } = approvalsBefore(f, id, op.eventId);
      return Boolean(gate) && gatePassed(approvers, vetoed, Math.max(gate!.quorum, rule.quorum));
    });
    const unmet = open.length ? open : ['nothing'];
    if (!met)
      v.push({
        invariant: 'policy-before-gated-steps',
        eventIds: [op.eventId],
        detail: `${required.kind} ${op.type} (step ${op.input.stepId}) ran before ${unmet.join(', ')} met the policy (${rule.quorum} of ${rule.groups.join(' and ')})`,
      });
    return v;
  });
}

function noIrreversibleAfterCancel(f: AuditFacts): Violation[] {
  const cancel = f.cancels[0];
  if (cancel === undefined) return [];
  return f.operations
    .filter(
      (op) => (stepOf(f, op).step?.irreversible || operationKind(op.type) === 'irreversible') && op.eventId > cancel,
    )
    .map((op) => ({
      invariant: 'no-irreversible-after-cancel',
      eventIds: [cancel, op.eventId],
      detail: `irreversible ${op.type} started after the cancel`,
    }));
}

function zeroizeVerifiedBeforeDeprovision(f: AuditFacts): Violation[] {
  return f.operations
    .filter(
      (op) =>
        op.type === op_('azure.deleteDedicatedHsm') &&
        !(doneBefore(f, op, 'hsm.zeroize') && doneBefore(f, op, 'hsm.verify', (o) => o.input.args.zeroized === true)),
    )
    .map((op) => ({
      invariant: 'zeroize-verified-before-deprovision',
      eventIds: [op.eventId],
      detail:
        'the Azure deprovision was scheduled without a completed zeroize and a completed verification that the HSM is zeroized',
    }));
}

function backupVerifiedBeforeFirmwareUpgrade(f: AuditFacts): Violation[] {
  const backedUp = (op: Operation) =>
    doneBefore(f, op, 'backup.verify') ||
    f.children.some((c) => c.eventId < op.eventId && c.result?.kind === 'backup' && c.result?.phase === 'completed');
  return f.operations
    .filter((op) => (op.type === op_('package.update') || op.type === op_('firmware.upgrade')) && !backedUp(op))
    .map((op) => ({
      invariant: 'backup-verified-before-firmware-upgrade',
      eventIds: [op.eventId],
      detail: 'the firmware upgrade was scheduled without a completed, verified backup',
    }));
}

function deviceStepsEvidence(f: AuditFacts): Violation[] {
  return f.operations.flatMap((op): Violation[] => {
    if (op.completedAt === undefined || !op.type.includes('.') || stepOf(f, op).step?.type !== 'device') return [];
    const r = op.result;
    const complete =
      r &&
      r.op === op.type &&
      typeof r.outcome === 'string' &&
      r.probe &&
      r.verify &&
      (r.outcome !== 'applied' || r.commands.length > 0);
    return complete
      ? []
      : [
          {
            invariant: 'device-steps-evidence',
            eventIds: [op.completedAt],
            detail: `${op.type} (step ${op.input.stepId}) completed without probe/act/verify evidence`,
          },
        ];
  });
}

/** Each invariant's check, by id, in the order a verdict lists them (INVARIANTS'). */
export const INVARIANT_CHECKS: { readonly [I in InvariantId]: InvariantCheck } = {
  'history-complete': historyComplete,
  'policy-checked-first': policyCheckedFirst,
  'decisions-signed': decisionsSigned,
  'operator-actions-signed': operatorActionsSigned,
  'approvals-bound-to-plan': approvalsBoundToPlan,
  'no-self-approval': noSelfApproval,
  'approver-in-group': approverInGroup,
  'quorum-before-gated-steps': quorumBeforeGatedSteps,
  'policy-before-gated-steps': policyBeforeGatedSteps,
  'no-irreversible-after-cancel': noIrreversibleAfterCancel,
  'zeroize-verified-before-deprovision': zeroizeVerifiedBeforeDeprovision,
  'backup-verified-before-firmware-upgrade': backupVerifiedBeforeFirmwareUpgrade,
  'device-steps-evidence': deviceStepsEvidence,
};

/** Every invariant's violations, invariant by invariant. `facts`: the events' auditFacts, when
 * the caller has them already (they verify signatures). */
export function checkInvariants(events: AuditEvent[], f: AuditFacts = auditFacts(events)): Violation[] {
  return (Object.keys(INVARIANTS) as InvariantId[]).flatMap((id) => INVARIANT_CHECKS[id](f, events));
}
