import { own } from '../../ceremonies/own';
import { partitionList, standingApprovalProblem } from '../../ceremonies/policy';
import { defineOperation } from './operation';

/** A standing pre-approval from the worker's inventory covers this ceremony (its kind, HSM,
 * partitions and backup device): recorded as such.
 * Checked again when the step runs (it may have expired or been withdrawn since the start). */
export const standingApproval = defineOperation('approval.standing', {
  async probe(ctx, { id, partitions }) {
    const approval = own(ctx.inventory().standingApprovals, id);
    // the partitions the step names (the plan's, as the catalogue built it); none: not covered
    const problem = standingApprovalProblem(
      ctx.inventory(),
      id,
      { kind: ctx.ceremonyKind, hsm: ctx.hsm ?? '', partitions: partitionList(partitions) },
      Date.now(),
    );
    return { present: problem === undefined, state: { id, ...(approval ?? {}), problems: problem ? [problem] : [] } };
  },
  explain: ({ id }, s) => `standing approval ${id} does not cover this run: ${(s.problems as string[]).join('; ')}`,
});
