import { z } from 'zod';
import { SlugSchema } from '../../ceremonies/identifiers';
import { defineOperation } from './operation';

/** A standing pre-approval from the inventory covers this ceremony: recorded as such. */
export const standingApproval = defineOperation({
  name: 'approval.standing',
  description: 'Check that a standing pre-approval (inventory standingApprovals) covers this run',
  args: z.object({ id: SlugSchema }).strict(),
  async probe(ctx, { id }) {
    const approval = ctx.inventory().standingApprovals[id];
    const problems = !approval
      ? ['it is not in the inventory (withdrawn?)']
      : [
          approval.hsm && approval.hsm !== ctx.hsm ? `it covers ${approval.hsm}, not ${ctx.hsm}` : '',
          Date.parse(`${approval.expires}T23:59:59Z`) < Date.now() ? `it expired on ${approval.expires}` : '',
        ].filter(Boolean);
    return { present: problems.length === 0, state: { id, ...(approval ?? {}), problems } };
  },
  explain: ({ id }, s) => `standing approval ${id} does not cover this run: ${(s.problems as string[]).join('; ')}`,
});
