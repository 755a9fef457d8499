import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { CeremonyLogFields } from '../runtime/logger';

/** What the inputs of our activities say about their ceremony (operations, notify, ticketComment, checkPolicy). */
interface CeremonyInput {
  ceremonyId?: unknown;
  stepId?: unknown;
  gate?: unknown;
  event?: unknown;
}

/** The ceremony, step and operation of an activity's input. */
function ceremonyFields(op: string, input: unknown): CeremonyLogFields | { op: string } {
  const i = (typeof input === 'object' && input !== null ? input : {}) as CeremonyInput;
  if (typeof i.ceremonyId !== 'string') return { op };
  const step = [i.stepId, i.gate, i.event].find((s): s is string => typeof s === 'string');
  return { ceremonyId: i.ceremonyId, ...(step ? { step } : {}), op };
}

/** Every log line of an activity (the SDK's own, "Activity failed" among them, and the
 * activity's `Context.current().log`) carries our ceremony id, step and operation beside the
 * SDK's workflow and activity ids. */
export const ceremonyLogFields: ActivityInterceptorsFactory = (ctx) => {
  let fields: CeremonyLogFields | { op: string } = { op: ctx.info.activityType };
  return {
    inbound: {
      async execute(input, next) {
        fields = ceremonyFields(ctx.info.activityType, input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        return next({ ...attributes, ...fields });
      },
    },
  };
};
