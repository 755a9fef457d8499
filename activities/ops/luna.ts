import { sameRelease } from '../../ceremonies/firmware-releases';
import { randomBytes } from 'node:crypto';
import {
  readClientPartitions as clientPartitions,
  readHsmShow as hsmShow,
  readPartitions as listPartitions,
  readPolicies,
  readSoLoginAttemptsLeft as soLoginAttemptsLeft,
  readSyslogHosts,
  required,
} from '../device/queries';
import type { DeviceAccess } from '../device/device-access';
import type { Answer } from '../device/luna-shell';
import { own } from '../../ceremonies/own';
import { DEFAULT_INITIAL_PASSWORD, PROCEED } from '../device/luna-constants';
import { AuthenticationFailed, UnreadableOutput, VerificationFailed } from '../device/errors';
import { defineOperation, type OperationContext } from './operation';
import type { OperationState } from '../../contract/operation-states';

// Luna Network HSM 7 operations over lunash.

export const hsmShowOp = defineOperation('hsm.show', {
  async probe(ctx) {
    return { present: true, state: { ...(await hsmShow(ctx.device())) } };
  },
});

export const changeInitialPassword = defineOperation('hsm.changeInitialPassword', {
  async probe(ctx, { user }) {
    const d = ctx.device();
    const stored = await d.storedSecret(user);
    const changed = stored !== undefined && (await d.canLogin(user, stored));
    return { present: changed, state: { user, newPasswordStored: stored !== undefined, newPasswordAccepted: changed } };
  },
  async act(ctx, { user }) {
    const d = ctx.device();
    try {
      (
        await d.open(
          user,
          { password: DEFAULT_INITIAL_PASSWORD },
          { firstLogin: { newPassword: await d.secretOrGenerate(user) } },
        )
      ).close();
    } catch (err) {
      if (err instanceof AuthenticationFailed) {
        throw new VerificationFailed(
          `${user} on ${d.ref} accepts neither the new password nor the factory default: someone changed it outside this ceremony`,
        );
      }
      throw err;
    }
    return { commands: [`(first login as ${user}: password change)`] };
  },
});

export const hsmInit = defineOperation('hsm.init', {
  async probe(ctx, { label }) {
    const show = await hsmShow(ctx.device());
    if (!show.zeroized && show.label !== label) {
      throw new VerificationFailed(
        `${ctx.hsm} is already initialised with label "${show.label}"; re-initialising it needs a re-init ceremony`,
      );
    }
    return {
      present: !show.zeroized && show.label === label,
      state: { label: show.label, zeroized: show.zeroized, serial: show.serial },
    };
  },
  async act(ctx, { label, defaultDomain }) {
    const d = ctx.device();
    const so = await d.secret('hsmSo');
    // the HSM's cloning domain (its admin partition's; application partitions get their own at
    // partition init): the inventory's, or Thales' default only where the approved plan says so;
    // never a fallback
    const domain = defaultDomain ? undefined : await d.secret('hsmDomain');
    if (defaultDomain && (await d.storedSecret('hsmDomain')) !== undefined) {
      throw new VerificationFailed(
        `the plan initialises ${ctx.hsm} with the default cloning domain, but the worker's inventory has hsmDomain for it: build the plan again`,
      );
    }
    const command = `hsm init -label ${label}${domain ? '' : ' -defaultdomain'}`;
    await d.run(command, {
      answers: [
        { prompt: /password for the HSM Administrator:[\s>]*$/, reply: so },
        { prompt: /re-enter password to confirm:[\s>]*$/i, reply: so },
        ...(domain
          ? [
              { prompt: /cloning domain to use for initializing this HSM:[\s>]*$/, reply: domain },
              { prompt: /re-enter cloning domain to confirm:[\s>]*$/i, reply: domain },
            ]
          : []),
        PROCEED,
      ],
      secrets: [so, ...(domain ? [domain] : [])],
    });
    return { commands: [command] };
  },
});

export const configureSyslog = defineOperation('hsm.configureSyslog', {
  async probe(ctx, { host, port, protocol }) {
    const remoteHosts = await readSyslogHosts(ctx.device());
    // a release that lists hosts without port and protocol (5.1) cannot tell whether this one is there
    const unsure = remoteHosts.find((r) => r.host === host && r.port === null);
    if (unsure) throw new UnreadableOutput('syslog remotehost list', `it lists ${host} without its port and protocol`);
    return {
      present: remoteHosts.some((r) => r.host === host && r.port === port && r.protocol === protocol),
      state: { remoteHosts },
    };
  },
  async act(ctx, { host, port, protocol }) {
    const command = `syslog remotehost add -host ${host} -port ${port} -protocol ${protocol}`;
    await ctx.device().run(command);
    return { commands: [command] };
  },
});

export const partitionCreate = defineOperation('partition.create', {
  async probe(ctx, { partition }) {
    const partitions = await listPartitions(ctx.device());
    return { present: partitions.some((p) => p.name === partition), state: { partitions } };
  },
  async act(ctx, { partition }) {
    const d = ctx.device();
    await d.hsmLogin();
    const command = `partition create -partition ${partition}`;
    await d.run(command, { answers: [PROCEED] });
    return { commands: ['hsm login', command] };
  },
});

export const partitionAssignClient = defineOperation('partition.assignClient', {
  async probe(ctx, { client, partition }) {
    const assigned = await clientPartitions(ctx.device(), client);
    return {
      present: assigned?.includes(partition) ?? false,
      state: { client, registered: assigned !== null, partitions: assigned ?? [] },
    };
  },
  async act(ctx, { client, host, partition }) {
    const d = ctx.device();
    // a client is registered with its certificate first (client.register): the appliance
    // refuses `client register` without the <host>.pem it reads
    if ((await clientPartitions(d, client)) === null)
      throw new VerificationFailed(
        `client ${client} (${host}) is not registered on ${ctx.hsm}: register it with its certificate first (client.register)`,
      );
    const assign = `client assignPartition -client ${client} -partition ${partition}`;
    await d.run(assign);
    return { commands: [assign] };
  },
});

export const hsmZeroize = defineOperation('hsm.zeroize', {
  async probe(ctx) {
    const show = await hsmShow(ctx.device());
    return {
      present: show.zeroized,
      state: { zeroized: show.zeroized, partitions: show.partitions.length, label: show.label },
    };
  },
  async act(ctx) {
    const d = ctx.device();
    if (platformOf(ctx) === 'azure-dedicated-hsm') return { commands: await zeroizeByFailedSoLogins(d) };
    // once: a refusal is the device's error (non-retryable), never a reason to send it again
    await d.run('hsm zeroize', { answers: [PROCEED] });
    return { commands: ['hsm zeroize'] };
  },
});

function platformOf(ctx: OperationContext) {
  const entry = own(ctx.inventory().hsms, ctx.hsm ?? '');
  if (!entry) throw new VerificationFailed(`${String(ctx.hsm)} is not in the worker's inventory`);
  return entry.platform;
}

/** The HSM SO's last attempt, as lunash asks before it (Azure uninstall README's capture). */
const PROCEED_ON_LAST_LOGIN: Answer = {
  prompt: /LAST available HSM Admin login attempt[\s\S]*Type 'proceed'[\s\S]*'quit' to quit now\.[\s>]*$/,
  reply: 'proceed',
};

/** Azure Dedicated HSM does not expose `hsm zeroize`: Microsoft's way is three wrong HSM SO
 * passwords at `hsm login`, `proceed` on the last (Azure "Troubleshooting", HSM Deprovisioning;
 * microsoft/AzureHSMEssentials, README-Uninstall-Dedicated-HSM). Only the `hsm.zeroize` step of
 * an approved plan comes here; it is not `DeviceAccess.hsmLogin` (whose interlock refuses the
 * last attempt). Every attempt is decided from `hsm show` read just before it, never from the
 * login's error text: zeroized -> done; N left -> one wrong login, `proceed` answered only when
 * N is 1; the next read must show exactly one attempt fewer (or zeroized), else it stops. So it
 * makes no more failed logins than the attempts `hsm show` reports, and a retry after a lost
 * session carries on from what the device says. */
async function zeroizeByFailedSoLogins(d: DeviceAccess): Promise<string[]> {
  const wrong = `not-the-so-${randomBytes(24).toString('hex')}`; // random: it cannot be the SO's
  const commands: string[] = [];
  let before: number | undefined;
  for (;;) {
    const left = await soLoginAttemptsLeft(d);
    commands.push('hsm show');
    if (left === null) return commands; // the read-back: hsm show says HSM IS ZEROIZED
    if (before !== undefined && left !== before - 1) {
      throw new VerificationFailed(
        `after a deliberately failed HSM SO login, hsm show says ${left} attempts left (it said ${before} before): not one fewer; the zeroize stopped, the HSM is not zeroized`,
      );
    }
    if (left < 1)
      throw new VerificationFailed(
        `hsm show says ${left} HSM SO login attempts left, yet not that the HSM is zeroized: the zeroize stopped`,
      );
    const last = left === 1;
    const out = await d.run('hsm login', {
      answers: [{ prompt: /password:[\s>]*$/i, reply: wrong }, ...(last ? [PROCEED_ON_LAST_LOGIN] : [])],
      secrets: [wrong],
      allowError: true,
    });
    commands.push(
      last
        ? 'hsm login (deliberately wrong password; proceed on the last attempt)'
        : 'hsm login (deliberately wrong password)',
    );
    if (out.code === 0 && out.errors.length === 0)
      throw new VerificationFailed(
        'an HSM SO login meant to fail succeeded: the zeroize stopped, the HSM is not zeroized',
      );
    before = left;
  }
}

export const hsmCheckZeroized = defineOperation('hsm.checkZeroized', {
  probe: (ctx, args) => hsmZeroize.probe(ctx, args),
  explain: (_args, state) =>
    `the HSM is already initialised (label "${String(state.label)}", ${String(state.partitions)} partitions); request a re-initialisation (reinit=true) to zeroize it first`,
});

export const hsmVerify = defineOperation('hsm.verify', {
  async probe(ctx, want) {
    const show = await hsmShow(ctx.device());
    const mismatches = [
      want.label !== undefined && show.label !== want.label ? `label is "${show.label}", expected "${want.label}"` : '',
      want.firmware !== undefined && show.firmware !== want.firmware
        ? `firmware is ${show.firmware}, expected ${want.firmware}`
        : '',
      want.software !== undefined && !sameRelease(show.softwareVersion, want.software)
        ? `appliance software is ${show.softwareVersion}, expected ${want.software}`
        : '',
      want.zeroized !== undefined && show.zeroized !== want.zeroized
        ? `the HSM is ${show.zeroized ? '' : 'not '}zeroized`
        : '',
    ].filter(Boolean);
    return {
      present: mismatches.length === 0,
      state: {
        label: show.label,
        firmware: show.firmware,
        software: show.softwareVersion,
        zeroized: show.zeroized,
        serial: show.serial,
        mismatches,
      },
    };
  },
  explain: (_args, state) => (state.mismatches as string[]).join('; '),
});

/** A policy as the appliance lists it; the appliance's own Destructive column must agree with the
 * operation: a destructive change is never sent by the reversible one. */
async function currentPolicy(ctx: OperationContext, policy: number, destructive?: boolean) {
  const current = (await readPolicies(ctx.device())).find((p) => p.code === String(policy));
  if (!current) throw new VerificationFailed(`the HSM has no policy ${policy}`);
  if (destructive === false && current.destructive) {
    throw new VerificationFailed(
      `the HSM lists policy ${policy} (${current.description}) as destructive: changing it erases every partition and needs hsm.changeDestructivePolicy, which is irreversible`,
    );
  }
  return current;
}

function policyChange<N extends 'hsm.setPolicy' | 'hsm.changeDestructivePolicy'>(name: N, destructive: boolean) {
  return defineOperation<N>(name, {
    async probe(ctx, { policy, value }) {
      const current = await currentPolicy(ctx, policy, destructive);
      return {
        present: current.value === String(value),
        // (both names keep an open state record)
        state: {
          policy,
          description: current.description,
          value: current.value,
          destructive: current.destructive,
        } as OperationState<N>,
      };
    },
    async act(ctx, { policy, value }) {
      const d = ctx.device();
      await d.hsmLogin();
      const command = `hsm changePolicy -policy ${policy} -value ${value}`;
      await d.run(command, { answers: [PROCEED] });
      return { commands: ['hsm login', command] };
    },
  });
}

export const hsmSetPolicy = policyChange('hsm.setPolicy', false);
export const hsmChangeDestructivePolicy = policyChange('hsm.changeDestructivePolicy', true);

export const hsmPolicyIs = defineOperation('hsm.policyIs', {
  async probe(ctx, { policy, value }) {
    const current = await currentPolicy(ctx, policy);
    return {
      present: current.value === String(value),
      state: { policy, description: current.description, value: current.value },
    };
  },
  explain: ({ policy, value }, s) =>
    `HSM policy ${policy} (${String(s.description)}) is ${String(s.value)}, not ${value}`,
});

/** Licensed partitions, and free storage for a partition of the default size: "an equal share of
 * the total HSM memory" (Thales, "Customizing Partition Sizes"). */
export const partitionCheckLicence = defineOperation('partition.checkLicence', {
  async probe(ctx, { adding }) {
    const show = await hsmShow(ctx.device());
    const licensed = required(show.partitionsAllowed, 'Number of partitions allowed');
    const created = required(show.partitionsCreated, 'Number of partitions created');
    const total = required(show.storageTotal, 'Maximum HSM Storage Space (Bytes)');
    const free = required(show.storageFree, 'Free Space Left (Bytes)');
    const partitionSize = Math.floor(total / licensed);
    const state = { licensed, created, adding, maximum: 100, storageTotal: total, storageFree: free, partitionSize };
    return { present: created + adding <= licensed && free >= adding * partitionSize, state };
  },
  explain: ({ adding }, s) =>
    Number(s.created) + adding > Number(s.licensed)
      ? `the HSM is licensed for ${String(s.licensed)} partitions (at most 100 with licence upgrades) and has ${String(s.created)}: it cannot take ${adding} more`
      : `the HSM has ${String(s.storageFree)} bytes of storage free; ${adding} partition(s) of the default size (${String(s.storageTotal)} bytes / ${String(s.licensed)} licensed = ${String(s.partitionSize)} each) do not fit`,
});

export const partitionPresent = defineOperation('partition.present', {
  async probe(ctx, { partition }) {
    const found = (await listPartitions(ctx.device())).find((p) => p.name === partition);
    return { present: found !== undefined, state: { partition, found: found ?? null } };
  },
  explain: ({ partition }) => `partition ${partition} is not listed on the HSM`,
});
