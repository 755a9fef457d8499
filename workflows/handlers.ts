import { setHandler } from '@temporalio/workflow';
import type { DecisionKind } from '../ceremonies/decision-signature';
import { parseInput, refuse } from './failures';
import { decisionRefusal, type DecisionInput } from './gate-rules';
import {
  parseApproveInput,
  parseCancelInput,
  parseCheckDecisionInput,
  parseRejectInput,
  parseResolveInput,
  parseSignoffInput,
} from './inputs';
import {
  approveUpdate,
  cancelUpdate,
  checkDecisionQuery,
  planQuery,
  rejectUpdate,
  resolveUpdate,
  signoffUpdate,
  statusQuery,
  timelineQuery,
} from './messages';
import type { CeremonyRun } from './run';

/** An update's handler, noting in the run that an update was accepted in this workflow task. */
function accepted<R>(run: CeremonyRun, handle: (raw: unknown) => R): (raw: unknown) => R {
  return (raw) => {
    run.updateAccepted();
    return handle(raw);
  };
}

/** A decision update: its validator refuses with the state's rules, its handler records it. */
function decision<I>(
  run: CeremonyRun,
  kind: DecisionKind,
  parse: (raw: unknown) => I,
  toDecision: (i: I) => DecisionInput,
) {
  return [
    accepted(run, (raw) => run.state.decide(kind, toDecision(parse(raw)))),
    { validator: (raw: unknown) => refuse(run.state.refuseDecision(kind, toDecision(parseInput(parse, raw)))) },
  ] as const;
}

/** The ceremony's queries and updates. */
export function registerHandlers(run: CeremonyRun): void {
  const { state, plan } = run;
  setHandler(statusQuery, () => state.status());
  setHandler(timelineQuery, () => [...state.timeline]);
  setHandler(planQuery, () => ({ plan, planDigest: state.planDigest }));
  // what a decision page asks before it shows a form: the same rules, nothing recorded
  setHandler(checkDecisionQuery, (raw) => {
    const input = parseCheckDecisionInput(raw);
    return decisionRefusal(state, input.kind, input) ?? null;
  });

  setHandler(
    approveUpdate,
    ...decision(run, 'approve', parseApproveInput, (i) => ({ ...i, actor: i.approver, text: i.comment ?? '' })),
  );
  setHandler(
    rejectUpdate,
    ...decision(run, 'reject', parseRejectInput, (i) => ({ ...i, actor: i.approver, text: i.reason })),
  );
  setHandler(
    signoffUpdate,
    ...decision(run, 'signoff', parseSignoffInput, (i) => ({ ...i, actor: i.by, text: i.reference })),
  );
  setHandler(
    resolveUpdate,
    accepted(run, (raw) => run.resolve(parseResolveInput(raw))),
    { validator: (raw) => refuse(state.refuseResolve(parseInput(parseResolveInput, raw))) },
  );
  setHandler(
    cancelUpdate,
    accepted(run, (raw) => run.cancel(parseCancelInput(raw))),
    { validator: (raw) => refuse(state.refuseCancel(parseInput(parseCancelInput, raw))) },
  );
}
