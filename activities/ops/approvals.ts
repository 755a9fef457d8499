import { own } from '../../ceremonies/own';
import { standingApprovalProblem } from '../../ceremonies/policy';
import { defineOperation } from './operation';

/** A standing pre-approval from the worker's inventory covers this ceremony: recorded as such.
 * Checked again when the step runs (it may have expired or been withdrawn since the start). */
export const standingApproval = defineOperation('approval.standing', {
  async probe(ctx, { id }) {
    const approval = own(ctx.inventory().standingApprovals, id);
    const problem = standingApprovalProblem(ctx.inventory(), id, { kind: ctx.ceremonyKind, hsm: ctx.hsm ?? '' }, Date.now());
    return { present: problem === undefined, state: { id, ...(approval ?? {}), problems: problem ? [problem] : [] } };
  },
  explain: ({ id }, s) => `standing approval ${id} does not cover this run: ${(s.problems as string[]).join('; ')}`,
});
