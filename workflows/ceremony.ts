import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  executeChild,
} from '@temporalio/workflow';
import { TypedSearchAttributes } from '@temporalio/common';
import { planDigest } from '../ceremonies/digest';
import { durationMs } from '../ceremonies/duration';
import { PlanSchema, isGate, isOperation, type CeremonyStep, type GateStep, type OperationStep, type Step, type WaitStep } from '../ceremonies/plan';
import type { NotificationInput, NotificationKind, OperationEvidence, OperationInput } from '../activities/types';
import type { TicketCommentInput } from '../activities/tickets/comment';
import {
  approveUpdate,
  ApproveInputSchema,
  cancelUpdate,
  CancelInputSchema,
  planQuery,
  rejectUpdate,
  RejectInputSchema,
  resolveUpdate,
  ResolveInputSchema,
  signoffUpdate,
  SignoffInputSchema,
  statusQuery,
  timelineQuery,
  type CeremonyInput,
  type CeremonyStatus,
  type Phase,
} from './messages';
import { CEREMONY_HSM, CEREMONY_KIND, CEREMONY_PHASE, CEREMONY_TICKET } from './search-attributes';
import { CeremonyState, type DecisionInput, type Refusal } from './state';
import type { DecisionKind } from '../ceremonies/decision-signature';
import type { PolicyCheckInput } from '../activities/policy-check';
import type { PolicySnapshot } from '../ceremonies/policy';
import type { z } from 'zod';

const { notify } = proxyActivities<{ notify(input: NotificationInput): Promise<void> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

const { checkPolicy } = proxyActivities<{ checkPolicy(input: PolicyCheckInput): Promise<PolicySnapshot> }>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
});

const { ticketComment } = proxyActivities<{ ticketComment(input: TicketCommentInput): Promise<string> }>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10, initialInterval: '1s', maximumInterval: '60s' },
});

type OperationActivities = Record<string, (input: OperationInput) => Promise<OperationEvidence>>;

function operationActivities(step: OperationStep): OperationActivities {
  return proxyActivities<OperationActivities>({
    startToCloseTimeout: step.timeout,
    heartbeatTimeout: step.heartbeatTimeout,
    retry: { maximumAttempts: step.maxAttempts, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
}

/** Validate an update's input inside its validator: a malformed call is refused before history. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`invalid input: ${problems}`, 'InvalidInput');
  }
  return result.data;
}

function refuse(refusal: Refusal | undefined): void {
  if (refusal) throw ApplicationFailure.create({ message: refusal.message, type: 'Refused', nonRetryable: true, details: [refusal.code] });
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
}

function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** Runs any Plan step by step: approval and sign-off gates, operations with intervention on
 * failure, durable waits. Its history is the audit record of the ceremony. */
export async function ceremonyWorkflow(input: CeremonyInput): Promise<CeremonyStatus> {
  const parsed = PlanSchema.safeParse(input.plan);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid plan: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'InvalidPlan');
  }
  const plan = parsed.data;
  const state = new CeremonyState(workflowInfo().workflowId, plan, planDigest(plan));
  let stepScope: CancellationScope | null = null;

  const setPhase = (phase: Phase) => {
    if (state.phase === phase) return;
    state.phase = phase;
    upsertSearchAttributes([{ key: CEREMONY_PHASE, value: phase }]);
  };

  // Mail goes out beside the ceremony, not in its way: a mail server that is down delays no
  // gate, deadline or step (the activity retries; a final failure is recorded). Notifications
  // run outside the step's cancellation scope and are awaited before the workflow ends.
  const inFlight: Promise<void>[] = [];
  const beside = (work: () => Promise<unknown>, failed: (err: unknown) => void): void => {
    inFlight.push(
      CancellationScope.nonCancellable(async () => {
        try {
          await work();
        } catch (err) {
          failed(err);
        }
      }),
    );
  };
  const send = (kind: NotificationKind, to: string[], subject: string, body: string, gate?: string, link?: NotificationInput['link']): void => {
    if (to.length === 0) return;
    beside(
      () => notify({ ceremonyId: state.ceremonyId, kind, to, subject: `[${plan.ticket}] ${subject}`, body, gate, link }),
      (err) => state.record('notification-failed', 'system', `${kind} to ${to.join(', ')}: ${describeFailure(err)}`, gate),
    );
  };

  /** Progress on the change ticket, beside the ceremony like mail; each event posted once. */
  const comment = (event: string, text: string): void =>
    beside(
      () => ticketComment({ ceremonyId: state.ceremonyId, ticket: plan.ticket, event, text: `hsm-ceremonies: ${text}` }),
      (err) => state.record('ticket-comment-failed', 'system', `${event}: ${describeFailure(err)}`),
    );

  setHandler(statusQuery, () => state.status());
  setHandler(timelineQuery, () => [...state.timeline]);
  setHandler(planQuery, () => ({ plan, planDigest: state.planDigest }));

  const decision = <I>(kind: DecisionKind, schema: z.ZodType<I>, toDecision: (i: I) => DecisionInput) => ({
    handler: (raw: unknown) => state.decide(kind, toDecision(schema.parse(raw))),
    validator: (raw: unknown) => refuse(state.refuseDecision(kind, toDecision(parseInput(schema, raw)))),
  });
  const approve = decision('approve', ApproveInputSchema, (i) => ({ ...i, actor: i.approver, text: i.comment ?? '' }));
  const reject = decision('reject', RejectInputSchema, (i) => ({ ...i, actor: i.approver, text: i.reason }));
  const signoff = decision('signoff', SignoffInputSchema, (i) => ({ ...i, actor: i.by, text: i.reference }));
  setHandler(approveUpdate, approve.handler, { validator: approve.validator });
  setHandler(rejectUpdate, reject.handler, { validator: reject.validator });
  setHandler(signoffUpdate, signoff.handler, { validator: signoff.validator });

  setHandler(
    resolveUpdate,
    (raw) => {
      const i = ResolveInputSchema.parse(raw);
      state.resolution = { action: i.action, by: i.by, reason: i.reason };
      return { phase: state.phase };
    },
    { validator: (raw) => refuse(state.refuseResolve(parseInput(ResolveInputSchema, raw).by)) },
  );

  setHandler(
    cancelUpdate,
    (raw) => {
      const i = CancelInputSchema.parse(raw);
      state.cancelRequest = { by: i.by, reason: i.reason };
      state.record('cancel-requested', i.by, i.reason, state.currentStep ?? undefined);
      stepScope?.cancel();
      return { phase: state.phase };
    },
    { validator: (raw) => refuse(state.refuseCancel(parseInput(CancelInputSchema, raw).by)) },
  );

  // ---- step runners ------------------------------------------------------

  async function runGate(step: GateStep): Promise<Phase | undefined> {
    const deadlineAt = Date.now() + durationMs(step.deadline);
    const quorum = state.gateQuorum(step);
    state.openGate = { step, deadline: new Date(deadlineAt).toISOString() };
    state.setStep(step.id, 'awaiting');
    setPhase(step.type === 'approval' ? 'awaiting-approval' : 'awaiting-signoff');
    const who = step.type === 'approval' ? `${quorum} of ${step.approvers.length} from ${step.group}` : `${step.signer} sign-off`;
    state.record('gate-opened', 'system', `needs ${who}; deadline ${state.openGate.deadline}`, step.id);
    const summary = gateSummary(step, new Date(deadlineAt).toISOString());
    const requested: NotificationKind = step.type === 'approval' ? 'approval-requested' : 'signoff-requested';
    const link = { kind: step.type, gate: step.id, digest: state.planDigest, deadline: state.openGate.deadline } as const;
    send(requested, state.pendingApprovers(step), `${step.title}: your decision is requested`, summary, step.id, link);
    comment(`gate-opened:${step.id}`, `${step.title}: decision requested from ${state.pendingApprovers(step).join(', ')} (plan ${state.planDigest.slice(0, 12)}…, deadline ${state.openGate.deadline}).`);

    const decided = () => state.gateSatisfied(step) || state.gateVetoed(step) !== undefined;
    // Reminders fall on a fixed schedule from the gate's opening (not from the last reminder, so
    // a slow mail server does not push them back); one missed while a reminder was being sent is
    // skipped, not sent in a burst; none is sent at or after the deadline.
    const openedAt = Date.now();
    const remindEvery = step.remindEvery ? durationMs(step.remindEvery) : undefined;
    let nextReminder = remindEvery ? openedAt + remindEvery : Infinity;
    for (;;) {
      const wait = Math.min(nextReminder, deadlineAt) - Date.now();
      if (wait > 0 && (await condition(decided, wait))) break;
      if (decided()) break;
      if (Date.now() >= deadlineAt) {
        state.openGate = null;
        state.setStep(step.id, 'expired');
        state.record('gate-expired', 'system', `deadline passed with ${state.gateView(step.id).approvals} of ${quorum}`, step.id);
        return 'expired';
      }
      if (remindEvery && Date.now() >= nextReminder) {
        const pending = state.pendingApprovers(step);
        const reminder: NotificationKind = step.type === 'approval' ? 'approval-reminder' : 'signoff-reminder';
        state.record('reminder-sent', 'system', `reminded ${pending.join(', ')}`, step.id);
        send(reminder, pending, `Reminder: ${step.title}`, summary, step.id, link);
        nextReminder = openedAt + (Math.floor((Date.now() - openedAt) / remindEvery) + 1) * remindEvery;
      }
    }
    state.openGate = null;
    const veto = state.gateVetoed(step);
    if (veto) {
      state.setStep(step.id, 'rejected', { error: `rejected by ${veto.actor}: ${veto.reason}` });
      return 'rejected';
    }
    state.setStep(step.id, 'succeeded');
    const approvedBy = state.gateDecisions(step.id).map((d) => d.actor).join(', ');
    state.record('gate-passed', 'system', `quorum reached: ${approvedBy}`, step.id);
    send('outcome', [plan.requester], `Approved: ${step.title}`, `Gate "${step.id}" of ceremony ${state.ceremonyId} is approved by ${approvedBy}; the ceremony goes on.`, step.id);
    comment(`gate-passed:${step.id}`, `${step.title}: approved by ${approvedBy}.`);
    return undefined;
  }

  async function runOperation(step: OperationStep): Promise<Phase | undefined> {
    for (;;) {
      setPhase('running');
      state.setStep(step.id, 'running');
      if (step.irreversible && !state.irreversibleStarted) {
        state.irreversibleStarted = true;
        state.record('irreversible-started', 'system', `${step.op}: cancellation is no longer possible`, step.id);
        comment(`irreversible:${step.id}`, `irreversible step started: ${step.title}.`);
      }
      state.record('step-started', 'worker', `${step.op} ${JSON.stringify(step.args)}`, step.id);
      try {
        const missing = step.requires.filter((id) => state.step(id).status !== 'succeeded');
        if (missing.length > 0) {
          throw ApplicationFailure.nonRetryable(`refusing ${step.op}: it requires ${missing.join(', ')} to have succeeded first`, 'PreconditionNotMet');
        }
        const unapproved = state.unmetApproval(step.id);
        if (unapproved) throw ApplicationFailure.nonRetryable(`refusing ${step.op}: ${unapproved}`, 'PolicyViolation');
        const evidence = await operationActivities(step)[step.op]({
          ceremonyId: state.ceremonyId,
          kind: plan.kind,
          stepId: step.id,
          op: step.op,
          // checks and API calls concern the ceremony's HSM too (its state, its backup path, its ARM resource)
          hsm: step.type === 'device' ? step.hsm : plan.hsm,
          args: step.args,
        });
        state.setStep(step.id, 'succeeded', { evidence });
        state.record('step-succeeded', 'worker', `${step.op}: ${evidence.outcome}`, step.id);
        if (step.completeIfPresent && evidence.outcome === 'present') {
          state.record('nothing-to-do', 'worker', `${step.title}: already the case, no further step is needed`, step.id);
          for (const later of state.steps.filter((s) => s.status === 'pending')) later.status = 'skipped';
          return 'completed';
        }
        return undefined;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const error = describeFailure(err);
        const type = failureType(err);
        if (step.escalate && type && step.escalate.on.includes(type)) {
          state.record('escalated', 'system', `${step.escalate.subject} → ${step.escalate.to.join(', ')}`, step.id);
          send('support-request', step.escalate.to, step.escalate.subject, `${error}\n\nHSM: ${plan.hsm}\nTicket: ${plan.ticket}\nCeremony: ${state.ceremonyId}`, step.id);
        }
        if ((await awaitIntervention(step, 'worker', error)) === 'aborted') return 'aborted';
      }
    }
  }

  /** A failed step waits for an operator: `retry` runs it again, `abort` ends the ceremony. */
  async function awaitIntervention(step: Step, actor: string, error: string): Promise<'retry' | 'aborted'> {
    state.setStep(step.id, 'failed', { error });
    setPhase('needs-intervention');
    state.record('step-failed', actor, error, step.id);
    comment(`failed:${step.id}:${state.step(step.id).attempts}`, `${step.title} failed and needs an operator: ${error}`);
    send('needs-intervention', state.operators, `${step.title} failed: intervention needed`, `${error}\n\nResolve with: ceremony resolve ${state.ceremonyId} --action retry|abort`, step.id);
    await condition(() => state.resolution !== null);
    const resolution = state.resolution!;
    state.resolution = null;
    state.record('intervention', resolution.by, `${resolution.action}: ${resolution.reason}`, step.id);
    if (resolution.action === 'abort') {
      state.setStep(step.id, 'aborted', { error });
      return 'aborted';
    }
    return 'retry';
  }

  async function runWait(step: WaitStep): Promise<undefined> {
    setPhase('waiting');
    state.setStep(step.id, 'running');
    await sleep(durationMs(step.duration));
    state.setStep(step.id, 'succeeded');
    return undefined;
  }

  /** A child ceremony; if it does not complete, an operator decides (retry starts it again). */
  async function runChild(step: CeremonyStep): Promise<Phase | undefined> {
    const child = PlanSchema.parse(step.plan);
    for (let attempt = 1; ; attempt++) {
      setPhase('running');
      state.setStep(step.id, 'running');
      const workflowId = `${state.ceremonyId}-${step.id}-${attempt}`;
      state.record('child-started', 'system', `${child.kind} ceremony ${workflowId}`, step.id);
      const result = await executeChild(ceremonyWorkflow, {
        workflowId,
        args: [{ plan: child }],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: CEREMONY_KIND, value: child.kind },
          { key: CEREMONY_HSM, value: child.hsm },
          { key: CEREMONY_TICKET, value: child.ticket },
          { key: CEREMONY_PHASE, value: 'running' },
        ]),
      });
      if (result.phase === 'completed') {
        state.setStep(step.id, 'succeeded');
        state.record('child-completed', 'system', `${workflowId} completed`, step.id);
        return undefined;
      }
      if ((await awaitIntervention(step, 'system', `child ceremony ${workflowId} ended ${result.phase}`)) === 'aborted') return 'aborted';
    }
  }

  function runStep(step: Step): Promise<Phase | undefined> {
    if (isGate(step)) return runGate(step);
    if (isOperation(step)) return runOperation(step);
    if (step.type === 'ceremony') return runChild(step);
    return runWait(step);
  }

  function gateSummary(step: GateStep, deadline: string): string {
    return [
      `Ceremony: ${plan.title} (${plan.kind})`,
      `Ceremony id: ${state.ceremonyId}`,
      `HSM: ${plan.hsm}`,
      `Ticket: ${plan.ticket}`,
      `Requested by: ${plan.requester}`,
      `Plan digest (sha256): ${state.planDigest}`,
      `Deadline: ${deadline}`,
      'Steps:',
      ...plan.steps.map((s, i) => `  ${i + 1}. ${s.title}${s.irreversible ? ' [irreversible]' : ''}`),
      '',
      `Decide with: ceremony ${step.type === 'approval' ? 'approve' : 'signoff'} ${state.ceremonyId} --gate ${step.id} --digest ${state.planDigest} --as <you>`,
    ].join('\n');
  }

  // ---- main --------------------------------------------------------------

  state.record('ceremony-started', plan.requester, `${plan.kind} on ${plan.hsm} for ${plan.ticket}; plan ${state.planDigest}`);
  let outcome: Phase = 'completed';
  // The worker checks the plan against its own inventory's policy before anything runs: which
  // gates each step needs, who may decide, with which keys. The workflow's input is not trusted.
  try {
    state.policy = await checkPolicy({ ceremonyId: state.ceremonyId, plan, parent: workflowInfo().parent?.workflowId });
    state.record('policy-checked', 'worker', `the plan meets the policy: ${state.policy.steps.filter((s) => s.rule).map((s) => `${s.id} (${s.kind}) after ${s.by.join(' + ')}`).join('; ') || 'no step needs a gate'}`);
  } catch (err) {
    state.refusal = describeFailure(err);
    state.record('policy-refused', 'worker', state.refusal);
    for (const s of state.steps) s.status = 'skipped';
    outcome = 'refused';
  }
  for (const step of outcome === 'refused' ? [] : plan.steps) {
    if (state.cancelRequest) {
      outcome = 'cancelled';
      break;
    }
    state.currentStep = step.id;
    const scope = new CancellationScope();
    stepScope = scope;
    try {
      const result = await scope.run(() => runStep(step));
      if (result) {
        outcome = result;
        break;
      }
    } catch (err) {
      if (!isCancellation(err) || !state.cancelRequest) throw err;
      state.setStep(step.id, 'cancelled');
      state.openGate = null;
      outcome = 'cancelled';
      break;
    } finally {
      stepScope = null;
    }
  }

  state.currentStep = null;
  setPhase(outcome);
  const by = outcome === 'cancelled' && state.cancelRequest ? state.cancelRequest.by : 'system';
  state.record('ceremony-ended', by, outcome);
  comment('ended', `ceremony ${outcome}.`);
  const why = state.steps.find((s) => s.error && ['rejected', 'aborted', 'expired'].includes(s.status));
  send(
    'outcome',
    [plan.requester, ...state.operators],
    `Ceremony ${outcome}: ${plan.title}`,
    [`Ceremony ${state.ceremonyId} ended: ${outcome}.`, why ? `${why.title}: ${why.error}` : '', `HSM: ${plan.hsm}`, `Ticket: ${plan.ticket}`].filter(Boolean).join('\n'),
  );
  await Promise.all(inFlight);
  await condition(allHandlersFinished);
  return state.status();
}
