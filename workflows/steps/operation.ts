import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { OperationStep } from '../../ceremonies/plan';
import { operationActivity } from '../activities';
import { describeFailure, failureType } from '../failures';
import type { Phase } from '../messages';
import type { CeremonyRun } from '../run';
import { supportRequestText } from '../texts';
import { failureWarnings, recordWarnings } from '../warnings';

/** A precheck whose condition does not hold ends the ceremony before any gate opens: there is
 * nothing for an operator to retry (the appliance must change first), and nobody is asked. A
 * precheck that could not read the device waits for an operator as any other step. */
function refuseAtPrecheck(run: CeremonyRun, step: OperationStep, error: string): Phase {
  const { state } = run;
  state.setStep(step.id, 'failed', { error });
  state.refusal = error;
  state.refusedBy = step.id;
  state.record('precheck-refused', 'worker', error, step.id);
  for (const later of state.steps.filter((s) => s.status === 'pending')) later.status = 'skipped';
  return 'refused';
}

/** An operation (device, API or check) as an activity; a failure waits for an operator. */
export async function runOperation(run: CeremonyRun, step: OperationStep): Promise<Phase | undefined> {
  const { state, plan } = run;
  let rerunBy: { by: string; reason: string } | undefined;
  for (;;) {
    run.setPhase('running');
    state.setStep(step.id, 'running');
    if (step.irreversible && !state.irreversibleStarted) {
      state.irreversibleStarted = true;
      state.record('irreversible-started', 'system', `${step.op}: cancellation is no longer possible`, step.id);
      run.comment(`irreversible:${step.id}`, `irreversible step started: ${step.title}.`);
    }
    state.record('step-started', 'worker', `${step.op} ${JSON.stringify(step.args)}`, step.id);
    try {
      const missing = step.requires.filter((id) => state.stepStatus(id) !== 'succeeded');
      if (missing.length > 0)
        throw ApplicationFailure.nonRetryable(
          `refusing ${step.op}: it requires ${missing.join(', ')} to have succeeded first`,
          'PreconditionNotMet',
        );
      const unapproved = state.unmetApproval(step.id);
      if (unapproved) throw ApplicationFailure.nonRetryable(`refusing ${step.op}: ${unapproved}`, 'PolicyViolation');
      const local = run.mayRunLocally() && state.checkedStep(step.id)?.local === true;
      const evidence = await operationActivity(
        step,
        local,
      )({
        ceremonyId: state.ceremonyId,
        kind: plan.kind,
        stepId: step.id,
        op: step.op,
        // checks and API calls concern the ceremony's HSM too (its state, its backup path, its ARM resource)
        hsm: step.type === 'device' ? step.hsm : plan.hsm,
        args: step.args,
        earlier: Object.fromEntries(step.requires.map((id) => [id, state.step(id).evidence?.outcome])),
        // what those steps verified (e.g. the server certificate read before a rotation)
        earlierState: Object.fromEntries(step.requires.map((id) => [id, state.step(id).evidence?.verify])),
        ...(rerunBy ? { rerunBy } : {}),
      });
      state.setStep(step.id, 'succeeded', { evidence });
      state.record('step-succeeded', 'worker', `${step.op}: ${evidence.outcome}`, step.id);
      recordWarnings(state, step.id, evidence.warnings);
      if (evidence.nextSteps?.length)
        run.comment(`next-steps:${step.id}`, `${step.title}: next steps\n${evidence.nextSteps.join('\n')}`);
      if (step.completeIfPresent && evidence.outcome === 'present') {
        state.record('nothing-to-do', 'worker', `${step.title}: already the case, no further step is needed`, step.id);
        for (const later of state.steps.filter((s) => s.status === 'pending')) later.status = 'skipped';
        return 'completed';
      }
      return undefined;
    } catch (err) {
      if (isCancellation(err)) throw err;
      recordWarnings(state, step.id, failureWarnings(err));
      const error = describeFailure(err);
      const type = failureType(err);
      if (step.type === 'check' && step.precheck && type === 'CheckFailed') return refuseAtPrecheck(run, step, error);
      if (step.escalate && type && step.escalate.on.includes(type)) {
        state.record('escalated', 'system', `${step.escalate.subject} → ${step.escalate.to.join(', ')}`, step.id);
        run.send(
          'support-request',
          step.escalate.to,
          step.escalate.subject,
          supportRequestText(plan, state.ceremonyId, error),
          step.id,
        );
      }
      const decision = await run.awaitIntervention(step, 'worker', error);
      if (decision === 'aborted') return 'aborted';
      rerunBy = decision;
    }
  }
}
