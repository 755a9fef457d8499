import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';

/** Typed search attributes every ceremony carries; registered on the dev server at start. */
export const CEREMONY_KIND = defineSearchAttributeKey('CeremonyKind', SearchAttributeType.KEYWORD);
export const CEREMONY_HSM = defineSearchAttributeKey('CeremonyHsm', SearchAttributeType.KEYWORD);
export const CEREMONY_TICKET = defineSearchAttributeKey('CeremonyTicket', SearchAttributeType.KEYWORD);
export const CEREMONY_PHASE = defineSearchAttributeKey('CeremonyPhase', SearchAttributeType.KEYWORD);

export const CEREMONY_SEARCH_ATTRIBUTES = [CEREMONY_KIND, CEREMONY_HSM, CEREMONY_TICKET, CEREMONY_PHASE];

/** The attributes a ceremony starts with: what it is, where, for which ticket, phase `running`. */
export function ceremonySearchAttributes(plan: { kind: string; hsm: string; ticket: string }): TypedSearchAttributes {
  return new TypedSearchAttributes([
    { key: CEREMONY_KIND, value: plan.kind },
    { key: CEREMONY_HSM, value: plan.hsm },
    { key: CEREMONY_TICKET, value: plan.ticket },
    { key: CEREMONY_PHASE, value: 'running' },
  ]);
}
