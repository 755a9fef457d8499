import type { CeremonyKind } from '../plan';
import { buildRehearsalPlan } from './rehearsal';
import type { PlanBuilder } from './types';

/** Ceremony kinds whose plans can be built today. The Luna ceremonies join as their device
 * operations land (see the issues). */
export const PLAN_BUILDERS: Partial<Record<CeremonyKind, PlanBuilder>> = {
  rehearsal: buildRehearsalPlan,
};
