import type { GateStep, Plan } from '../ceremonies/plan';
import type { CeremonyState } from './state';

// The words of the ceremony's mails and ticket comments.

/** What an approver reads before deciding: the ceremony, its plan and digest, how to decide. */
export function gateSummary(plan: Plan, state: CeremonyState, step: GateStep, deadline: string): string {
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
    ...nextStepsLines(state),
    '',
    `Decide with: ceremony ${step.type === 'approval' ? 'approve' : 'signoff'} ${state.ceremonyId} --gate ${step.id} --digest ${state.planDigest} --as <you>`,
  ].join('\n');
}

export function interventionText(ceremonyId: string, error: string): string {
  return `${error}\n\nResolve with: ceremony resolve ${ceremonyId} --action retry|abort`;
}

export function supportRequestText(plan: Plan, ceremonyId: string, error: string): string {
  return `${error}\n\nHSM: ${plan.hsm}\nTicket: ${plan.ticket}\nCeremony: ${ceremonyId}`;
}

/** What people must do next, from the steps that have succeeded (e.g. the client owner's commands
 * once a partition is created). */
export function nextStepsLines(state: CeremonyState): string[] {
  const lines = state.steps.filter((s) => s.status === 'succeeded').flatMap((s) => s.evidence?.nextSteps ?? []);
  return lines.length ? ['', 'Next steps:', ...lines] : [];
}

/** The last mail: how the ceremony ended and, when a person ended it, why. */
export function outcomeText(plan: Plan, state: CeremonyState, outcome: string): string {
  const why = state.steps.find((s) => s.error && ['rejected', 'aborted', 'expired'].includes(s.status));
  const refused = state.refusedBy
    ? `Refused by the precheck "${state.refusedBy}", before any gate: ${state.refusal}`
    : '';
  return [
    `Ceremony ${state.ceremonyId} ended: ${outcome}.`,
    why ? `${why.title}: ${why.error}` : refused,
    `HSM: ${plan.hsm}`,
    `Ticket: ${plan.ticket}`,
    ...nextStepsLines(state),
  ]
    .filter(Boolean)
    .join('\n');
}

/** The policy check's result for the timeline: which step waits for which gate. */
export function policySummary(state: CeremonyState): string {
  const gated = (state.policy?.steps ?? [])
    .filter((s) => s.rule)
    .map((s) => `${s.id} (${s.kind}) after ${s.by.join(' + ')}`);
  return `the plan meets the policy: ${gated.join('; ') || 'no step needs a gate'}`;
}

/** The operators' mail about a plan the worker refused. It names the plan by its digest, kind
 * and HSM, not by the title, ticket or requester it claims (its author chose them): those are
 * in the ceremony's timeline and history. */
export function refusalText(state: CeremonyState): string {
  const { plan } = state;
  return [
    `The worker refused the plan of ceremony ${state.ceremonyId} before any step: ${state.refusal}`,
    `Plan ${state.planDigest}: ${plan.kind} on ${plan.hsm}.`,
    'Nobody could have started it through the CLI, a ticket webhook or a schedule: it was started directly on Temporal, or with another inventory. No ticket comment and no mail to the requester it names were sent.',
  ].join('\n');
}
