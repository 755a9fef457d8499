import { FailureType, nonRetryable } from '../errors';
import type { OperationEvidence } from '../types';
import type { OperationContext, OperationDefinition } from './operation';

/** Apply the idempotency contract: a retry after any crash finds the effect through the probe
 * and never repeats the act. */
export async function runOperation(def: OperationDefinition, ctx: OperationContext, rawArgs: unknown): Promise<OperationEvidence> {
  const parsed = def.args.safeParse(rawArgs);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ');
    throw nonRetryable(FailureType.invalidArguments, `${def.name}: invalid arguments: ${problems}`);
  }
  const args = parsed.data;
  const probe = await def.probe(ctx, args);
  if (def.probeOnly) {
    return { op: def.name, outcome: probe.present ? 'present' : 'absent', probe: probe.state, verify: probe.state, commands: [] };
  }

  if (!def.act) {
    if (!probe.present) {
      throw nonRetryable(FailureType.checkFailed, `${def.name}: ${def.explain?.(args, probe.state) ?? 'check does not hold'}`, probe.state);
    }
    return { op: def.name, outcome: 'checked', probe: probe.state, verify: probe.state, commands: [] };
  }
  if (probe.present) {
    return { op: def.name, outcome: 'already-present', probe: probe.state, verify: probe.state, commands: [] };
  }

  const { commands } = await def.act(ctx, args);
  const verify = await (def.verify ?? def.probe)(ctx, args);
  if (!verify.present) {
    throw nonRetryable(FailureType.verificationFailed, `${def.name}: the effect is missing after the command ran`, verify.state);
  }
  return { op: def.name, outcome: 'applied', probe: probe.state, verify: verify.state, commands };
}
