import { FailureType, nonRetryable } from '../errors';
import type { OperationEvidence } from '../types';
import { setTimeout as delay } from 'node:timers/promises';
import {
  commandTimeoutMs,
  OPERATIONS_CATALOGUE,
  type OperationArgs,
  type OperationName,
} from '../../ceremonies/operations';
import { describeIssues } from '../../ceremonies/validation';
import type { OperationContext, OperationDefinition } from './operation';

/** Apply the idempotency contract: a retry after any crash finds the effect through the probe
 * and never repeats the act. */
export async function runOperation<N extends OperationName>(
  def: OperationDefinition<N>,
  ctx: OperationContext,
  rawArgs: unknown,
): Promise<OperationEvidence<N>> {
  // the plan was checked against the catalogue when it was built; the worker checks again
  const parsed = OPERATIONS_CATALOGUE[def.name].args.safeParse(rawArgs);
  if (!parsed.success) {
    throw nonRetryable(
      FailureType.invalidArguments,
      `${def.name}: invalid arguments: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  const args = parsed.data as OperationArgs<N>;
  let probe = await def.probe(ctx, args);
  if (def.probeOnly) {
    return {
      op: def.name,
      outcome: probe.present ? 'present' : 'absent',
      probe: probe.state,
      verify: probe.state,
      commands: [],
    };
  }

  if (!def.act) {
    if (!probe.present) {
      throw nonRetryable(
        FailureType.checkFailed,
        `${def.name}: ${def.explain?.(args, probe.state) ?? 'check does not hold'}`,
        probe.state,
      );
    }
    return withNextSteps(def, ctx, args, {
      op: def.name,
      outcome: 'checked',
      probe: probe.state,
      verify: probe.state,
      commands: [],
    });
  }
  const first = probe;
  let resumed: OperationEvidence<N>['resumed'];
  if (!probe.present && ctx.earlierActAt !== undefined && def.endsWithSession) {
    resumed = 'not-started'; // it went with the lost session: send it again
  } else if (!probe.present && ctx.earlierActAt !== undefined) {
    // An earlier attempt sent the command and was lost (session, worker): absent now may mean
    // still running. Probe again until the effect shows or the command's own time has passed
    // since it was sent; only then is it "not started" (or failed) and may be sent again.
    const until = ctx.earlierActAt + (def.resumeWindowMs ?? commandTimeoutMs(def.name));
    while (!probe.present && Date.now() < until) {
      await delay(Math.min(RESUME_POLL_MS, until - Date.now()));
      probe = await def.probe(ctx, args);
    }
    resumed = probe.present ? 'finished-after-loss' : 'not-started';
  } else if (ctx.earlierActAt !== undefined) {
    resumed = 'done-before-loss';
  }
  if (probe.present) {
    return withNextSteps(def, ctx, args, {
      op: def.name,
      outcome: 'already-present',
      probe: first.state,
      verify: probe.state,
      commands: [],
      ...(resumed ? { resumed } : {}),
    });
  }
  ctx.markActing();
  const { commands, apiCalls } = await def.act(ctx, args);
  const verify = await (def.verify ?? def.probe)(ctx, args);
  if (!verify.present) {
    throw nonRetryable(
      FailureType.verificationFailed,
      `${def.name}: the effect is missing after the command ran`,
      verify.state,
    );
  }
  return withNextSteps(def, ctx, args, {
    op: def.name,
    outcome: 'applied',
    probe: first.state,
    verify: verify.state,
    commands,
    ...(apiCalls?.length ? { apiCalls } : {}),
    ...(resumed ? { resumed } : {}),
  });
}

function withNextSteps<N extends OperationName>(
  def: OperationDefinition<N>,
  ctx: OperationContext,
  args: OperationArgs<N>,
  evidence: OperationEvidence<N>,
): OperationEvidence<N> {
  const nextSteps = def.nextSteps?.(ctx, args, evidence.verify);
  return nextSteps?.length ? { ...evidence, nextSteps } : evidence;
}

/** How often a resumed step probes for the effect of a command an earlier attempt sent. */
const RESUME_POLL_MS = 2000;
