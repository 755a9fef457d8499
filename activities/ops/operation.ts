import type { OperationArgs, OperationName } from '../../ceremonies/operations';
import type { Inventory } from '../../ceremonies/inventory';
import type { AzureSettings } from '../azure/dedicated-hsm';
import type { DeviceAccess } from '../device/device-access';
import type { ApiCall, OperationEvidence } from '../types';
import type { OperationState } from '../../contract/operation-states';

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
  azure: AzureSettings;
  /** When an earlier attempt of this step sent its command (epoch ms), if it did: that attempt's
   * session or worker was lost, and the command may still be running on the appliance. */
  earlierActAt?: number;
  /** Record (in the activity's heartbeat details) that the command is about to be sent. */
  markActing(): void;
  /** The outcomes of the steps this one requires (from the workflow). */
  earlier: Record<string, OperationEvidence['outcome'] | undefined>;
  /** What the steps this one requires verified (their evidence's `verify`), from the workflow. */
  earlierState: Record<string, Record<string, unknown> | undefined>;
  /** The operator who ran this step again after its failure, and why (from the workflow). */
  rerunBy?: { by: string; reason: string };
}

export interface ProbeResult<S = Record<string, unknown>> {
  /** Is the effect of this operation already there? */
  present: boolean;
  state: S;
}

/** One operation of the catalogue (`ceremonies/operations.ts`, which declares its name, arguments
 * and kind) with the idempotency contract: probe -> act (only if absent) -> verify. */
export interface OperationDefinition<N extends OperationName = OperationName> {
  name: N;
  probe(ctx: OperationContext, args: OperationArgs<N>): Promise<ProbeResult<OperationState<N>>>;
  /** For checks: what to say when the condition does not hold. */
  explain?(args: OperationArgs<N>, state: OperationState<N>): string;
  /** What people must do next once this step has succeeded (from its arguments and its verified
   * state): the ceremony passes it on (ticket comment, outcome mail). */
  nextSteps?(ctx: OperationContext, args: OperationArgs<N>, state: OperationState<N>): string[];
  /** A probe-only condition: reports present/absent and never fails on absent. */
  probeOnly?: boolean;
  /** Absent for checks: a check only probes, and fails when the condition does not hold. */
  act?(ctx: OperationContext, args: OperationArgs<N>): Promise<{ commands: string[]; apiCalls?: ApiCall[] }>;
  verify?(ctx: OperationContext, args: OperationArgs<N>): Promise<ProbeResult<OperationState<N>>>;
  /** How long the command may go on after the session that sent it was lost (default: its
   * command time). 0 for a command that ends with its session (LunaCM's, killed by the hangup). */
  resumeWindowMs?: number;
  /** Its command ends with its session (an scp copy: the sink goes with the channel), so an
   * attempt after a lost session need not wait for it to land: it probes once, then acts. */
  endsWithSession?: true;
}

export function defineOperation<N extends OperationName>(
  name: N,
  def: Omit<OperationDefinition<N>, 'name'>,
): OperationDefinition<N> {
  return { name, ...def };
}
