import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attributes every ceremony carries; registered on the dev server at start. */
export const CEREMONY_KIND = defineSearchAttributeKey('CeremonyKind', SearchAttributeType.KEYWORD);
export const CEREMONY_HSM = defineSearchAttributeKey('CeremonyHsm', SearchAttributeType.KEYWORD);
export const CEREMONY_TICKET = defineSearchAttributeKey('CeremonyTicket', SearchAttributeType.KEYWORD);
export const CEREMONY_PHASE = defineSearchAttributeKey('CeremonyPhase', SearchAttributeType.KEYWORD);

export const CEREMONY_SEARCH_ATTRIBUTES = [CEREMONY_KIND, CEREMONY_HSM, CEREMONY_TICKET, CEREMONY_PHASE];
