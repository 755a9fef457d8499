import { haGroupOf } from '../inventory';
import { haAddCommand, haRemoveCommand, SHORT_SERIAL } from '../ha-maintenance';
import type { PlanInput } from '../plan';
import { ValidationError } from '../validation';
import { withoutRequester } from '../rules';
import { check } from './common';
import type { PlanContext } from './types';

type StepInput = PlanInput['steps'][number];

// The steps a maintenance plan gets when the worker's inventory puts its HSM in an HA group
// (docs/ha-maintenance.md). Built from the inventory only: the request cannot add, drop or change
// them, and the worker rebuilds the plan from its own inventory before it runs.

/** The HSM's HA group, with the LunaCM label; undefined when it belongs to none. */
export function haMembership({
  request,
  inventory,
}: PlanContext): { name: string; label: string; owners: string[] } | undefined {
  const found = haGroupOf(inventory, request.hsm);
  return found && { name: found.name, label: found.group.label ?? found.name, owners: found.group.owners };
}

/** Before any gate: no other open maintenance ceremony holds a member of the group. */
export function haExclusionPrecheck(context: PlanContext): StepInput[] {
  const ha = haMembership(context);
  if (!ha) return [];
  return [
    check(
      'ha-exclusive',
      `No other maintenance ceremony is open on a member of HA group ${ha.label} (${context.request.hsm} is one)`,
      'ha.exclusive',
      { group: ha.name },
      { precheck: true },
    ),
  ];
}

/** A title within the plan schema's 200 characters: the command goes when the names are long
 * (the precheck's next steps, in every gate mail after it, carry the commands in full). */
const titled = (full: string, short: string) => (full.length <= 200 ? full : short.slice(0, 200));

/** The group's owners acknowledge (one of them) that the member is out of the group. */
export function haLeaveGate(
  context: PlanContext,
  params: { deadline: string; remindEvery: string },
  forGood = false,
): StepInput[] {
  const ha = haMembership(context);
  if (!ha) return [];
  const hsm = context.request.hsm;
  const what = forGood ? `${hsm} is out of HA group ${ha.label} for good` : `${hsm} is out of HA group ${ha.label}`;
  return [
    gate(context, ha, 'ha-leave', titled(`${what} (LunaCM: ${haRemoveCommand(ha.label, SHORT_SERIAL)})`, what), params),
  ];
}

/** After a firmware upgrade: the owners acknowledge that the member is back in the group. */
export function haRejoinGate(context: PlanContext, params: { deadline: string; remindEvery: string }): StepInput[] {
  const ha = haMembership(context);
  if (!ha) return [];
  const what = `${context.request.hsm} is back in HA group ${ha.label}`;
  return [
    gate(
      context,
      ha,
      'ha-rejoin',
      titled(`${what} (LunaCM: ${haAddCommand(ha.label, SHORT_SERIAL, '<CO password>')})`, what),
      params,
    ),
  ];
}

function gate(
  context: PlanContext,
  ha: { name: string; owners: string[] },
  id: string,
  title: string,
  params: { deadline: string; remindEvery: string },
): StepInput {
  const approvers = withoutRequester(context.request.requester, ha.owners);
  if (approvers.length === 0) {
    throw new ValidationError('request', [
      `requester: ${context.request.requester} is the only owner of HA group ${ha.name}: another owner must acknowledge the member taken out; ask one to request it, or add an owner`,
    ]);
  }
  return {
    id,
    type: 'approval',
    title,
    group: ha.name,
    approvers,
    quorum: 1,
    deadline: params.deadline,
    remindEvery: params.remindEvery,
  };
}
