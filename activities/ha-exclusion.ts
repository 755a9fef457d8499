import type { Client } from '@temporalio/client';
import { haGroupOf, type Inventory } from '../ceremonies/inventory';
import { MAINTENANCE_KINDS } from '../ceremonies/ha-maintenance';
import { CEREMONY_HSM, CEREMONY_KIND } from '../contract/search-attributes';
import { ceremoniesQuery, quoted } from './visibility';

/** An open maintenance ceremony on a member of an HA group, as Temporal's visibility lists it. */
export interface HaHolder {
  ceremonyId: string;
  kind: string;
  hsm: string;
  startTime: string;
}

/** The open (running) maintenance ceremonies, other than `except`, that hold a member of `hsm`'s
 * HA group among the ceremonies of `taskQueue`, from the search attributes every ceremony starts with (workflows/search-attributes.ts).
 * None when the HSM is in no group. Throws when visibility cannot be read: callers fail closed. */
export async function haGroupHolders(
  client: Client,
  taskQueue: string,
  inventory: Pick<Inventory, 'haGroups'>,
  hsm: string,
  except?: string,
): Promise<HaHolder[]> {
  const found = haGroupOf(inventory, hsm);
  if (!found) return [];
  const query = ceremoniesQuery(
    taskQueue,
    `ExecutionStatus = 'Running'`,
    `${CEREMONY_HSM.name} IN (${quoted(found.group.members)})`,
    `${CEREMONY_KIND.name} IN (${quoted(MAINTENANCE_KINDS)})`,
  );
  const holders: HaHolder[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (execution.workflowId === except) continue;
    const attrs = execution.typedSearchAttributes;
    holders.push({
      ceremonyId: execution.workflowId,
      kind: attrs.get(CEREMONY_KIND) ?? '?',
      hsm: attrs.get(CEREMONY_HSM) ?? '?',
      startTime: execution.startTime.toISOString(),
    });
  }
  return holders.sort((a, b) => a.startTime.localeCompare(b.startTime) || a.ceremonyId.localeCompare(b.ceremonyId));
}

/** Why a maintenance ceremony of `kind` on `hsm` may not start now, in words naming the other(s). */
export function haConflictText(hsm: string, group: string, holders: readonly HaHolder[]): string {
  const others = holders.map((h) => `${h.kind} ${h.ceremonyId} on ${h.hsm} (started ${h.startTime})`).join('; ');
  return `${hsm} is a member of HA group ${group}, and another maintenance ceremony is open on a member of it: ${others}. Two members of one group are never taken down at once: wait until it ends`;
}
