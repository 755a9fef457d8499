import type { Client } from '@temporalio/client';
import { haGroupOf, type Inventory } from '../ceremonies/inventory';
import { MAINTENANCE_KINDS } from '../ceremonies/ha-maintenance';
import { SLUG } from '../ceremonies/patterns';
import { CEREMONY_HSM, CEREMONY_KIND } from '../workflows/search-attributes';

/** An open maintenance ceremony on a member of an HA group, as Temporal's visibility lists it. */
export interface HaHolder {
  ceremonyId: string;
  kind: string;
  hsm: string;
  startTime: string;
}

/** Names in a visibility query: our HSM slugs and kind literals only, so no quote can break out. */
const quoted = (names: readonly string[]) => names.map((n) => {
  if (!SLUG.test(n)) throw new Error(`not a name that can be queried: ${JSON.stringify(n)}`);
  return `'${n}'`;
}).join(', ');

/** The open (running) maintenance ceremonies, other than `except`, that hold a member of `hsm`'s
 * HA group, from the search attributes every ceremony starts with (workflows/search-attributes.ts).
 * None when the HSM is in no group. Throws when visibility cannot be read: callers fail closed. */
export async function haGroupHolders(client: Client, inventory: Pick<Inventory, 'haGroups'>, hsm: string, except?: string): Promise<HaHolder[]> {
  const found = haGroupOf(inventory, hsm);
  if (!found) return [];
  const query = `ExecutionStatus = 'Running' AND ${CEREMONY_HSM.name} IN (${quoted(found.group.members)}) AND ${CEREMONY_KIND.name} IN (${quoted(MAINTENANCE_KINDS)})`;
  const holders: HaHolder[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (execution.workflowId === except) continue;
    const attrs = execution.typedSearchAttributes;
    holders.push({ ceremonyId: execution.workflowId, kind: attrs.get(CEREMONY_KIND) ?? '?', hsm: attrs.get(CEREMONY_HSM) ?? '?', startTime: execution.startTime.toISOString() });
  }
  return holders.sort((a, b) => a.startTime.localeCompare(b.startTime) || a.ceremonyId.localeCompare(b.ceremonyId));
}

/** Why a maintenance ceremony of `kind` on `hsm` may not start now, in words naming the other(s). */
export function haConflictText(hsm: string, group: string, holders: readonly HaHolder[]): string {
  const others = holders.map((h) => `${h.kind} ${h.ceremonyId} on ${h.hsm} (started ${h.startTime})`).join('; ');
  return `${hsm} is a member of HA group ${group}, and another maintenance ceremony is open on a member of it: ${others}. Two members of one group are never taken down at once: wait until it ends`;
}
