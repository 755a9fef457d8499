import { Context } from '@temporalio/activity';
import { haGroupOf } from '../../ceremonies/inventory';
import { haLeaveSteps, haRejoinSteps, haStaysOutSteps } from '../../ceremonies/ha-maintenance';
import { own } from '../../ceremonies/own';
import { nonRetryable } from '../errors';
import { haConflictText, haGroupHolders } from '../ha-exclusion';
import { defineOperation } from './operation';

/** Before any gate of a maintenance ceremony on an HA member: no other open maintenance ceremony
 * holds a member of the group. Read with the worker's own Temporal client from the visibility
 * store (as activities/closed-ceremony-id.ts does), so a ceremony started straight at the
 * Temporal frontend is refused too. Visibility that cannot be read fails the step (an operator
 * decides): it never reads as "nobody holds the group". Two started at the same moment may each
 * see the other: both are refused (docs/ha-maintenance.md). Its next steps are the LunaCM commands
 * the group's owners run, which every later gate's mail repeats. */
export const haExclusive = defineOperation('ha.exclusive', {
  async probe(ctx, { group }) {
    const hsm = ctx.hsm ?? '';
    const entry = own(ctx.inventory().haGroups, group);
    // the plan is the worker's catalogue's: its group is the one the worker's inventory gives
    if (!entry || haGroupOf(ctx.inventory(), hsm)?.name !== group) {
      throw nonRetryable('PolicyViolation', `${hsm} is not a member of HA group ${group} in the worker's inventory`);
    }
    let client, taskQueue;
    try {
      ({
        client,
        info: { taskQueue },
      } = Context.current());
    } catch {
      throw nonRetryable(
        'VisibilityUnreadable',
        `the worker has no Temporal client to read which maintenance ceremonies hold HA group ${group}: it does not go on without knowing`,
      );
    }
    let holders;
    try {
      holders = await haGroupHolders(client, taskQueue, ctx.inventory(), hsm, ctx.ceremonyId);
    } catch (err) {
      throw nonRetryable(
        'VisibilityUnreadable',
        `cannot read Temporal's visibility for the maintenance ceremonies on HA group ${group}: ${(err as Error).message}; it does not go on without knowing`,
      );
    }
    return {
      present: holders.length === 0,
      state: { hsm, group, label: entry.label ?? group, members: entry.members, holders },
    };
  },
  explain(_args, state) {
    return haConflictText(
      String(state.hsm),
      String(state.group),
      state.holders as Parameters<typeof haConflictText>[2],
    );
  },
  nextSteps(ctx, _args, state) {
    const hsm = ctx.hsm ?? 'the appliance';
    const label = String(state.label);
    const after =
      ctx.ceremonyKind === 'firmware-upgrade'
        ? haRejoinSteps(hsm, label)
        : ctx.ceremonyKind === 'zeroize-deprovision'
          ? haStaysOutSteps(hsm, label)
          : [];
    return [...haLeaveSteps(hsm, label), ...after];
  },
});
