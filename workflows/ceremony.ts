import { ApplicationFailure, CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { planDigest } from '../ceremonies/digest';
import { checkPolicy } from './activities';
import { describeFailure, refusalOperators } from './failures';
import { registerHandlers } from './handlers';
import { planShapeProblem } from './plan-shape';
import {
  CHALLENGE_PATCH,
  LOCAL_ACTIVITIES_PATCH,
  REFUSAL_TO_OPERATORS_PATCH,
  type CeremonyInput,
  type CeremonyOutcome,
  type Phase,
} from './messages';
import { CeremonyRun } from './run';
import { CeremonyState } from './state';
import { runStep } from './steps';
import { nextStepsLines, outcomeText, policySummary, refusalText } from './texts';

/** The plan's steps in order, until one ends the ceremony or a cancel request stops it. */
async function runSteps(run: CeremonyRun): Promise<Phase> {
  const { state } = run;
  for (const step of run.plan.steps) {
    if (state.cancelRequest) return 'cancelled';
    state.currentStep = step.id;
    try {
      const ended = await runStep(run, step);
      if (ended) return ended;
    } catch (err) {
      if (!isCancellation(err) || !state.cancelRequest) throw err;
      state.setStep(step.id, 'cancelled');
      state.openGate = null;
      return 'cancelled';
    }
  }
  return 'completed';
}

/** Runs any Plan step by step: approval and sign-off gates, operations with intervention on
 * failure, child ceremonies, durable waits. Its history is the audit record of the ceremony. */
export async function ceremonyWorkflow(input: CeremonyInput): Promise<CeremonyOutcome> {
  const problem = planShapeProblem(input.plan);
  if (problem) throw ApplicationFailure.nonRetryable(`invalid plan: ${problem}`, 'InvalidPlan');
  const plan = input.plan;
  const localActivities = patched(LOCAL_ACTIVITIES_PATCH);
  // each gate, intervention and the cancel point gets a challenge bound to this run
  const state = new CeremonyState(
    workflowInfo().workflowId,
    plan,
    planDigest(plan),
    patched(CHALLENGE_PATCH) ? workflowInfo().runId : undefined,
  );
  const run = new CeremonyRun(plan, state, localActivities);
  registerHandlers(run);
  state.record(
    'ceremony-started',
    plan.requester,
    `${plan.kind} on ${plan.hsm} for ${plan.ticket}; plan ${state.planDigest}`,
  );

  // The worker checks the plan against its own inventory's policy before anything runs: which
  // gates each step needs, who may decide, with which keys. The workflow's input is not trusted;
  // the parent of a child ceremony is Temporal's own record.
  let outcome: Phase = 'completed';
  /** Set when the worker refused the plan: whom to tell (its operators). */
  let refusedPlan: { operators: string[] } | undefined;
  try {
    const parent = workflowInfo().parent?.workflowId;
    state.policy = await checkPolicy(
      {
        ceremonyId: state.ceremonyId,
        plan,
        parent,
        ...(parent && input.parentPlan ? { parentPlan: input.parentPlan } : {}),
      },
      run.localActivities,
    );
    state.record('policy-checked', 'worker', policySummary(state));
  } catch (err) {
    state.refusal = describeFailure(err);
    state.record('policy-refused', 'worker', state.refusal);
    for (const s of state.steps) s.status = 'skipped';
    outcome = 'refused';
    refusedPlan = { operators: refusalOperators(err) };
  }

  if (outcome !== 'refused') {
    // one scope for all the steps: a cancel request cancels the step that is running (a scope
    // per step would cost each step the stack captures of the scope's own promises)
    run.stepScope = new CancellationScope();
    outcome = await run.stepScope.run(() => runSteps(run));
    run.stepScope = null;
  }

  state.currentStep = null;
  run.setPhase(outcome);
  state.record(
    'ceremony-ended',
    outcome === 'cancelled' && state.cancelRequest ? state.cancelRequest.by : 'system',
    outcome,
  );
  if (refusedPlan && patched(REFUSAL_TO_OPERATORS_PATCH)) {
    // a plan the worker refused could not have come from the CLI, a webhook or a schedule (they
    // build the catalogue's plan and check the same policy): its ticket and requester are whatever
    // its author chose, so nothing goes there; the worker's operators learn of the attempt
    run.send('outcome', refusedPlan.operators, `Plan refused by the worker: ${state.ceremonyId}`, refusalText(state));
  } else {
    run.comment('ended', [`ceremony ${outcome}.`, ...nextStepsLines(state)].join('\n'));
    run.send(
      'outcome',
      [plan.requester, ...state.operators],
      `Ceremony ${outcome}: ${plan.title}`,
      outcomeText(plan, state, outcome),
    );
  }
  await run.settled();
  return state.outcome();
}
