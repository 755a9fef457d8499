import { setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import type { DecisionKind } from '../ceremonies/decision-signature';
import { parseInput, refuse } from './failures';
import { decisionRefusal, type DecisionInput } from './gate-rules';
import {
  approveUpdate,
  ApproveInputSchema,
  cancelUpdate,
  CancelInputSchema,
  checkDecisionQuery,
  CheckDecisionInputSchema,
  planQuery,
  rejectUpdate,
  RejectInputSchema,
  resolveUpdate,
  ResolveInputSchema,
  signoffUpdate,
  SignoffInputSchema,
  statusQuery,
  timelineQuery,
} from './messages';
import type { CeremonyRun } from './run';

/** A decision update: its validator refuses with the state's rules, its handler records it. */
function decision<I>(run: CeremonyRun, kind: DecisionKind, schema: z.ZodType<I>, toDecision: (i: I) => DecisionInput) {
  return [(raw: unknown) => run.state.decide(kind, toDecision(schema.parse(raw))), { validator: (raw: unknown) => refuse(run.state.refuseDecision(kind, toDecision(parseInput(schema, raw)))) }] as const;
}

/** The ceremony's queries and updates. */
export function registerHandlers(run: CeremonyRun): void {
  const { state, plan } = run;
  setHandler(statusQuery, () => state.status());
  setHandler(timelineQuery, () => [...state.timeline]);
  setHandler(planQuery, () => ({ plan, planDigest: state.planDigest }));
  // what a decision page asks before it shows a form: the same rules, nothing recorded
  setHandler(checkDecisionQuery, (raw) => decisionRefusal(state, raw.kind, CheckDecisionInputSchema.parse(raw)) ?? null);

  setHandler(approveUpdate, ...decision(run, 'approve', ApproveInputSchema, (i) => ({ ...i, actor: i.approver, text: i.comment ?? '' })));
  setHandler(rejectUpdate, ...decision(run, 'reject', RejectInputSchema, (i) => ({ ...i, actor: i.approver, text: i.reason })));
  setHandler(signoffUpdate, ...decision(run, 'signoff', SignoffInputSchema, (i) => ({ ...i, actor: i.by, text: i.reference })));
  setHandler(resolveUpdate, (raw) => run.resolve(ResolveInputSchema.parse(raw)), { validator: (raw) => refuse(state.refuseResolve(parseInput(ResolveInputSchema, raw).by)) });
  setHandler(cancelUpdate, (raw) => run.cancel(CancelInputSchema.parse(raw)), { validator: (raw) => refuse(state.refuseCancel(parseInput(CancelInputSchema, raw).by)) });
}
