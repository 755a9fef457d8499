import { executeChild, patched } from '@temporalio/workflow';
import type { CeremonyStep, Plan } from '../../ceremonies/plan';
import { CEREMONY_WORKFLOW, childCeremonyId } from '../../contract/messages';
// type only: the child runs the same workflow as its parent (`executeChild<typeof …>` types its input and result)
import type { ceremonyWorkflow } from '../ceremony';
import { CHILD_PARENT_PLAN_PATCH, type CeremonyInput, type Phase } from '../messages';
import type { CeremonyRun } from '../run';
import { ceremonySearchAttributes } from '../../contract/search-attributes';

/** A child ceremony (the fresh backup before a firmware upgrade); if it does not complete, an
 * operator decides (retry starts it again, under a new id). */
export async function runChild(run: CeremonyRun, step: CeremonyStep): Promise<Phase | undefined> {
  const { state } = run;
  // the parent's policy check read the child plan with the full schema; the child's checks it again,
  // and that the plan it runs is the one in this (catalogue-verified) plan, which it is given
  const child = step.plan as unknown as Plan;
  for (let attempt = 1; ; attempt++) {
    run.setPhase('running');
    state.setStep(step.id, 'running');
    const workflowId = childCeremonyId(state.ceremonyId, step.id, attempt);
    state.record('child-started', 'system', `${child.kind} ceremony ${workflowId}`, step.id);
    const input: CeremonyInput = patched(CHILD_PARENT_PLAN_PATCH)
      ? { plan: child, parentPlan: run.plan }
      : { plan: child };
    const result = await executeChild<typeof ceremonyWorkflow>(CEREMONY_WORKFLOW, {
      workflowId,
      args: [input],
      typedSearchAttributes: ceremonySearchAttributes(child),
    });
    if (result.phase === 'completed') {
      state.setStep(step.id, 'succeeded');
      state.record('child-completed', 'system', `${workflowId} completed`, step.id);
      return undefined;
    }
    if (
      (await run.awaitIntervention(step, 'system', `child ceremony ${workflowId} ended ${result.phase}`)) === 'aborted'
    )
      return 'aborted';
  }
}
