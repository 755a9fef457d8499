import type { z } from 'zod';
import type { Inventory } from '../../ceremonies/inventory';
import type { AzureSettings } from '../azure/dedicated-hsm';
import type { DeviceAccess } from '../device/device-access';
import type { OperationEvidence } from '../types';

export interface OperationContext {
  ceremonyId: string;
  ceremonyKind: string;
  stepId: string;
  hsm?: string;
  /** Where stand-in effects are written (see ledger.ts). */
  ledgerPath: string;
  /** Where update packages wait on the worker's host. */
  packagesDir: string;
  /** The step's target appliance (device steps only); one admin session per activity. */
  device(): DeviceAccess;
  /** The on-prem backup device of the step's HSM, reached over the VPN. */
  backupDevice(): DeviceAccess;
  /** The worker's inventory, read for this activity. */
  inventory(): Inventory;
  /** ARM endpoint settings (default: from the environment). */
  azure?: AzureSettings;
}

export interface ProbeResult {
  /** Is the effect of this operation already there? */
  present: boolean;
  state: Record<string, unknown>;
}

/** One typed operation with the idempotency contract: probe -> act (only if absent) -> verify. */
export interface OperationDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: S;
  probe(ctx: OperationContext, args: z.infer<S>): Promise<ProbeResult>;
  /** For checks: what to say when the condition does not hold. */
  explain?(args: z.infer<S>, state: Record<string, unknown>): string;
  /** A probe-only condition: reports present/absent and never fails on absent. */
  probeOnly?: boolean;
  /** Absent for checks: a check only probes, and fails when the condition does not hold. */
  act?(ctx: OperationContext, args: z.infer<S>): Promise<{ commands: string[] }>;
  verify?(ctx: OperationContext, args: z.infer<S>): Promise<ProbeResult>;
}

export function defineOperation<S extends z.ZodType>(def: OperationDefinition<S>): OperationDefinition<S> {
  return def;
}

export type { OperationEvidence };
