import { own } from '../../ceremonies/own';
import { readClientPartitions as clientPartitions } from '../device/queries';
import { FailureType, nonRetryable } from '../errors';
import { defineOperation } from './operation';

/** Take back a client's access to a partition (`client revokePartition`; Thales, "Assigning or
 * Revoking NTLS Client Access to a Partition") when the step `assignedBy` of this ceremony gave
 * it: an assignment found in place is left as it was. */
export const partitionRevokeClient = defineOperation('partition.revokeClient', {
  async probe(ctx, { client, partition, assignedBy }) {
    const outcome = own(ctx.earlier, assignedBy);
    if (outcome === undefined)
      throw nonRetryable(
        FailureType.invalidArguments,
        `partition.revokeClient: assignedBy "${assignedBy}" must name a step this one requires, and that step must have run`,
      );
    const assigned = (await clientPartitions(ctx.device(), client))?.includes(partition) ?? false;
    const keep = outcome !== 'applied';
    // present = nothing left to do: revoked already, or an assignment this ceremony did not make
    return {
      present: !assigned || keep,
      state: {
        client,
        partition,
        assigned,
        assignedBy: { step: assignedBy, outcome },
        ...(keep && assigned ? { kept: 'assigned before this ceremony' } : {}),
      },
    };
  },
  async act(ctx, { client, partition }) {
    const command = `client revokePartition -client ${client} -partition ${partition}`;
    await ctx.device().run(command);
    return { commands: [command] };
  },
});
