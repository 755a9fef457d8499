import {
  CancellationScope,
  allHandlersFinished,
  condition,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { NotificationInput, NotificationKind } from '../contract/activities';
import type { Plan, Step } from '../ceremonies/plan';
import { notify, ticketComment } from './activities';
import { describeFailure } from './failures';
import type { CancelInput, Phase, ResolveInput } from './messages';
import { CEREMONY_PHASE } from '../contract/search-attributes';
import type { CeremonyState } from './state';
import { interventionText } from './texts';

/** What every step runner works with: the plan, the state, and the ceremony's side channels
 * (phase, mail, ticket comments, operator interventions). */
export class CeremonyRun {
  /** The running step's scope: a cancel request cancels it. */
  stepScope: CancellationScope | null = null;
  private readonly inFlight: Promise<void>[] = [];
  /** The workflow task (by history length) in which an update was last accepted. */
  private updateTask = -1;

  constructor(
    readonly plan: Plan,
    readonly state: CeremonyState,
    /** whether this run may use local activities (`LOCAL_ACTIVITIES_PATCH`) */
    readonly localActivities: boolean,
  ) {}

  /** An update was accepted: its answer goes back to the caller when this workflow task completes. */
  updateAccepted(): void {
    this.updateTask = workflowInfo().historyLength;
  }

  /** Whether a short read may run as a local activity now. A local activity keeps the workflow
   * task open until it ends, and the answer to an update accepted in that task with it (an
   * approval would wait for the reads after its gate): not in a task that accepted one. */
  mayRunLocally(): boolean {
    return this.localActivities && workflowInfo().historyLength !== this.updateTask;
  }

  setPhase(phase: Phase): void {
    if (this.state.phase === phase) return;
    this.state.phase = phase;
    upsertSearchAttributes([{ key: CEREMONY_PHASE, value: phase }]);
  }

  // Mail and ticket comments go out beside the ceremony, not in its way: a server that is down
  // delays no gate, deadline or step (the activity retries; a final failure is recorded). They run
  // outside the step's cancellation scope and are awaited before the workflow ends.
  private beside(work: () => Promise<unknown>, failed: (err: unknown) => void): void {
    this.inFlight.push(
      CancellationScope.nonCancellable(async () => {
        try {
          await work();
        } catch (err) {
          failed(err);
        }
      }),
    );
  }

  send(
    kind: NotificationKind,
    to: string[],
    subject: string,
    body: string,
    gate?: string,
    link?: NotificationInput['link'],
  ): void {
    if (to.length === 0) return;
    const { state, plan } = this;
    this.beside(
      () =>
        notify({ ceremonyId: state.ceremonyId, kind, to, subject: `[${plan.ticket}] ${subject}`, body, gate, link }),
      (err) =>
        state.record('notification-failed', 'system', `${kind} to ${to.join(', ')}: ${describeFailure(err)}`, gate),
    );
  }

  /** Progress on the change ticket; each event is posted once. */
  comment(event: string, text: string): void {
    const { state, plan } = this;
    this.beside(
      () =>
        ticketComment({ ceremonyId: state.ceremonyId, ticket: plan.ticket, event, text: `hsm-ceremonies: ${text}` }),
      (err) => state.record('ticket-comment-failed', 'system', `${event}: ${describeFailure(err)}`),
    );
  }

  /** A failed step waits for an operator: `retry` runs it again (the decision is returned, for
   * the step's next run), `abort` ends the ceremony. */
  async awaitIntervention(
    step: Step,
    actor: string,
    error: string,
  ): Promise<{ by: string; reason: string } | 'aborted'> {
    const { state } = this;
    state.setStep(step.id, 'failed', { error });
    this.setPhase('needs-intervention');
    const challenge = state.openIntervention(step.id);
    state.record(
      'step-failed',
      actor,
      challenge ? `${error} (intervention ${state.interventions}, challenge ${challenge})` : error,
      step.id,
    );
    this.comment(
      `failed:${step.id}:${state.step(step.id).attempts}`,
      `${step.title} failed and needs an operator: ${error}`,
    );
    this.send(
      'needs-intervention',
      state.operators,
      `${step.title} failed: intervention needed`,
      interventionText(state.ceremonyId, error),
      step.id,
    );
    await condition(() => state.resolution !== null);
    const resolution = state.resolution!;
    state.resolution = null;
    state.intervention = null;
    state.record(
      'intervention',
      resolution.by,
      `${resolution.action}: ${resolution.reason}${signedBy(resolution)}`,
      step.id,
    );
    if (resolution.action === 'retry') return { by: resolution.by, reason: resolution.reason };
    state.setStep(step.id, 'aborted', { error });
    return 'aborted';
  }

  /** An operator's answer to a failed step (validated): the waiting step reads it. */
  resolve(input: ResolveInput): { phase: Phase } {
    if (
      this.state.ignoredFromOtherRun(
        input.action,
        input.by,
        this.state.intervention?.challenge,
        input,
        this.state.intervention?.step,
      )
    )
      return { phase: this.state.phase };
    const via = this.state.acceptAction(input);
    this.state.resolution = { action: input.action, by: input.by, reason: input.reason, ...(via ? { via } : {}) };
    return { phase: this.state.phase };
  }

  /** A cancel request (validated): recorded, and the running step is cancelled. */
  cancel(input: CancelInput): { phase: Phase } {
    if (
      this.state.ignoredFromOtherRun(
        'cancel',
        input.by,
        this.state.cancelChallenge,
        input,
        this.state.currentStep ?? undefined,
      )
    )
      return { phase: this.state.phase };
    const via = this.state.acceptAction(input);
    const request = { by: input.by, reason: input.reason, ...(via ? { via } : {}) };
    this.state.cancelRequest = request;
    this.state.record(
      'cancel-requested',
      request.by,
      `${request.reason}${signedBy(request)}`,
      this.state.currentStep ?? undefined,
    );
    this.stepScope?.cancel();
    return { phase: this.state.phase };
  }

  /** Wait for the mail and comments still going out, and for update handlers to finish. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
    await condition(allHandlersFinished);
  }
}

/** Who signed an operator action, for the timeline ('' for one from before they were signed). */
function signedBy(action: { by: string; via?: string }): string {
  return action.via ? ` (signed by ${action.by} via ${action.via})` : '';
}
