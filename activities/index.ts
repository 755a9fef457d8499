import { Context } from '@temporalio/activity';
import type { Inventory } from '../ceremonies/inventory';
import { InventoryCache } from './inventory-cache';
import type { AzureSettings } from './azure/dedicated-hsm';
import type { KeyVaultSettings } from './azure/key-vault';
import { DeviceAccess, type DeviceSessions } from './device/device-access';
import { DeviceError } from './device/errors';
import { SecretUnavailable } from './device/secrets';
import { nonRetryable } from './errors';
import { notifyActivity, type Notifier } from './notify';
import type { TicketSystem } from '../ceremonies/tickets';
import type { TicketAdapter } from './tickets/adapters';
import { ticketCommentActivity } from './tickets/comment';
import { commandTimeoutMs, OPERATION_NAMES, type OperationName } from '../ceremonies/operations';
import type { Activities, OperationActivities } from '../contract/activities';
import { IMPLEMENTATIONS } from './ops';
import { policyCheckActivity } from './policy-check';
import type { OperationDefinition } from './ops/operation';
import { runOperation } from './ops/run-operation';
import type { OperationEvidence, OperationInput } from './types';

export interface ActivityDeps {
  ledgerPath: string;
  notifier: Notifier;
  /** Ticket systems to comment on (by `<system>:` of the ceremony's ticket). */
  ticketAdapters?: Partial<Record<TicketSystem, TicketAdapter>>;
  /** Inventory YAML (read at each device step, so edits apply without a worker restart). */
  inventoryPath?: string;
  packagesDir?: string;
  azure?: AzureSettings;
  /** Key Vault, for `keyvault:` secret references. */
  keyVault?: KeyVaultSettings;
  /** The environment of `env:` secret references (the worker's by default). */
  env?: NodeJS.ProcessEnv;
  /** Appliance admin sessions kept between activities; without it each activity logs in. */
  sessions?: DeviceSessions;
  /** Short read-only steps run as local activities (`WORKER_LOCAL_READS`). */
  localReads?: boolean;
  /** Engine tests only (hand-written plans): the policy check does not ask that the catalogue
   * builds the plan. The worker process never sets it. */
  acceptPlansNotFromCatalogue?: boolean;
}

const caches = new Map<string, InventoryCache>();
/** One cache per inventory file, for all the activities of this worker. */
export function inventoryOf(path: string): InventoryCache {
  let cache = caches.get(path);
  if (!cache) caches.set(path, (cache = new InventoryCache(path)));
  return cache;
}

function operationActivity<N extends OperationName>(def: OperationDefinition<N>, deps: ActivityDeps) {
  const secrets = { env: deps.env, keyVault: deps.keyVault };
  return async (input: OperationInput<N>): Promise<OperationEvidence<N>> => {
    const context = Context.current();
    const opened: DeviceAccess[] = [];
    let device: DeviceAccess | undefined;
    let backupDevice: DeviceAccess | undefined;
    let loaded: Inventory | undefined;
    const inventory = () => {
      if (!input.hsm) throw new SecretUnavailable(`${def.name} needs a target HSM (a device step)`);
      if (!deps.inventoryPath) throw new SecretUnavailable('the worker has no inventory (CEREMONY_INVENTORY)');
      loaded ??= inventoryOf(deps.inventoryPath).get();
      return { hsm: input.hsm, inventory: loaded };
    };
    const track = (d: DeviceAccess) => (opened.push(d), d);
    // the one heartbeat of every operation, however long it waits on a device: a worker that dies
    // mid-step is noticed after the step's heartbeat timeout, not its whole start-to-close
    // timeout (the SDK throttles these beats to what the server needs)
    // the details carry "the command was sent at …" to the next attempt if this one is lost
    const earlier = context.info.heartbeatDetails as { actAt?: number } | undefined;
    let details: { actAt?: number } = earlier?.actAt !== undefined ? { actAt: earlier.actAt } : {};
    // (a local activity has no heartbeat: it is a short read, retried whole by the workflow task)
    const alive = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(details), 1000);
    const transcript = () => opened.flatMap((d) => d.transcript.map((t) => ({ ...t, device: d.ref })));
    const warnings = () =>
      transcript().flatMap((t) => (t.warnings ?? []).map((line) => ({ device: t.device, command: t.command, line })));
    const recorded = () => {
      const w = warnings();
      return { transcript: transcript(), ...(w.length ? { warnings: w } : {}) };
    };
    let failed = true;
    try {
      const evidence = await runOperation(
        def,
        {
          ceremonyId: input.ceremonyId,
          ceremonyKind: input.kind,
          stepId: input.stepId,
          hsm: input.hsm,
          ledgerPath: deps.ledgerPath,
          packagesDir: deps.packagesDir ?? 'packages',
          device: () => {
            const { hsm, inventory: inv } = inventory();
            return (device ??= track(
              DeviceAccess.forHsm(inv, hsm, secrets, commandTimeoutMs(def.name), deps.sessions),
            ));
          },
          inventory: () => inventory().inventory,
          // without settings: the public ARM endpoint and the default credential chain
          azure: deps.azure ?? {},
          earlierActAt: typeof earlier?.actAt === 'number' ? earlier.actAt : undefined,
          earlier: input.earlier ?? {},
          earlierState: input.earlierState ?? {},
          rerunBy: input.rerunBy,
          markActing: () => {
            details = { actAt: Date.now() };
            if (!context.info.isLocal) context.heartbeat(details);
          },
          backupDevice: () => {
            const { hsm, inventory: inv } = inventory();
            return (backupDevice ??= track(DeviceAccess.forBackupOf(inv, hsm, secrets, commandTimeoutMs(def.name))));
          },
        },
        input.args,
      );
      failed = false;
      context.log.info('operation done', {
        outcome: evidence.outcome,
        ...(evidence.resumed ? { resumed: evidence.resumed } : {}),
      });
      return opened.length > 0 ? { ...evidence, ...recorded() } : evidence;
    } catch (err) {
      if (err instanceof DeviceError || err instanceof SecretUnavailable) {
        throw nonRetryable(
          err.name,
          `${def.name} on ${input.hsm}: ${err.message}`,
          opened.length > 0 ? recorded() : undefined,
        );
      }
      throw err;
    } finally {
      clearInterval(alive);
      opened.forEach((d) => d.close({ failed }));
    }
  };
}

/** One activity per operation of the catalogue, named as it. (`IMPLEMENTATIONS` pairs each name
 * with its own definition; an object built key by key is typed by hand.) */
function operationActivities(deps: ActivityDeps): OperationActivities {
  return Object.fromEntries(
    OPERATION_NAMES.map((name) => [name, operationActivity(IMPLEMENTATIONS[name] as OperationDefinition, deps)]),
  ) as OperationActivities;
}

/** All activities the worker registers (contract/activities.ts): the three beside the steps plus
 * one per operation, named as the operation. */
export function createActivities(deps: ActivityDeps) {
  return {
    notify: notifyActivity(deps.notifier),
    ticketComment: ticketCommentActivity(deps.ticketAdapters ?? {}),
    checkPolicy: policyCheckActivity(deps.inventoryPath ? inventoryOf(deps.inventoryPath) : undefined, {
      localReads: deps.localReads,
      acceptPlansNotFromCatalogue: deps.acceptPlansNotFromCatalogue,
    }),
    ...operationActivities(deps),
  } satisfies Activities;
}
