import type { Inventory } from '../inventory';
import type { PlanInput } from '../plan';
import type { CeremonyRequest } from '../request';

export interface PlanContext {
  request: CeremonyRequest;
  inventory: Inventory;
}

export type PlanBuilder = (context: PlanContext) => PlanInput;
