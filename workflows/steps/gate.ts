import { condition } from '@temporalio/workflow';
import type { NotificationKind } from '../../contract/activities';
import { durationMs } from '../../ceremonies/duration';
import type { GateStep } from '../../ceremonies/plan';
import { gateQuorum } from '../../ceremonies/rules';
import type { Phase } from '../messages';
import type { CeremonyRun } from '../run';
import { gateSummary } from '../texts';

/** An approval or sign-off gate: mail the deciders, remind them, and wait for the quorum, a veto
 * or the deadline. */
export async function runGate(run: CeremonyRun, step: GateStep): Promise<Phase | undefined> {
  const { state, plan } = run;
  const deadlineAt = Date.now() + durationMs(step.deadline);
  const quorum = gateQuorum(step);
  const deadline = new Date(deadlineAt).toISOString();
  const challenge = state.gateChallenge(step.id);
  state.openGate = { step, deadline, ...(challenge ? { challenge } : {}) };
  state.setStep(step.id, 'awaiting');
  run.setPhase(step.type === 'approval' ? 'awaiting-approval' : 'awaiting-signoff');
  const who =
    step.type === 'approval' ? `${quorum} of ${step.approvers.length} from ${step.group}` : `${step.signer} sign-off`;
  state.record(
    'gate-opened',
    'system',
    `needs ${who}; deadline ${deadline}${challenge ? `; challenge ${challenge}` : ''}`,
    step.id,
  );
  const summary = gateSummary(plan, state, step, deadline);
  const requested: NotificationKind = step.type === 'approval' ? 'approval-requested' : 'signoff-requested';
  const link = { kind: step.type, gate: step.id, digest: state.planDigest, deadline } as const;
  run.send(
    requested,
    state.pendingApprovers(step),
    `${step.title}: your decision is requested`,
    summary,
    step.id,
    link,
  );
  run.comment(
    `gate-opened:${step.id}`,
    `${step.title}: decision requested from ${state.pendingApprovers(step).join(', ')} (plan ${state.planDigest.slice(0, 12)}…, deadline ${deadline}).`,
  );

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
      state.record(
        'gate-expired',
        'system',
        `deadline passed with ${state.gateView(step.id).approvals} of ${quorum}`,
        step.id,
      );
      return 'expired';
    }
    if (remindEvery && Date.now() >= nextReminder) {
      const pending = state.pendingApprovers(step);
      const reminder: NotificationKind = step.type === 'approval' ? 'approval-reminder' : 'signoff-reminder';
      state.record('reminder-sent', 'system', `reminded ${pending.join(', ')}`, step.id);
      run.send(reminder, pending, `Reminder: ${step.title}`, summary, step.id, link);
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
  const approvedBy = state
    .gateDecisions(step.id)
    .map((d) => d.actor)
    .join(', ');
  state.record('gate-passed', 'system', `quorum reached: ${approvedBy}`, step.id);
  run.send(
    'outcome',
    [plan.requester],
    `Approved: ${step.title}`,
    `Gate "${step.id}" of ceremony ${state.ceremonyId} is approved by ${approvedBy}; the ceremony goes on.`,
    step.id,
  );
  run.comment(`gate-passed:${step.id}`, `${step.title}: approved by ${approvedBy}.`);
  return undefined;
}
