import type { DecisionKind } from '../ceremonies/decision-signature';

// The names a ceremony's workflow answers to: its updates (each recorded in history under its
// name, which the audit reads back) and its queries, and the workflow type a child ceremony is
// started as. workflows/messages.ts defines them with these names; the client, web and audit use
// the same constants.

export const UPDATE_NAMES = ['approve', 'reject', 'signoff', 'resolve', 'cancel'] as const;
export type UpdateName = (typeof UPDATE_NAMES)[number];
/** The updates that are a gate decision (the others are operator actions). */
export const DECISION_UPDATES = ['approve', 'reject', 'signoff'] as const satisfies readonly (UpdateName &
  DecisionKind)[];
export type DecisionUpdateName = (typeof DECISION_UPDATES)[number];

export const QUERY_NAMES = ['status', 'timeline', 'plan', 'checkDecision'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export function isUpdateName(name: string): name is UpdateName {
  return (UPDATE_NAMES as readonly string[]).includes(name);
}

/** The workflow type every ceremony, parent or child, runs as (the export of workflows/index.ts). */
export const CEREMONY_WORKFLOW = 'ceremonyWorkflow';

/** The workflow id of a child ceremony: its parent's id, the step that starts it, and the attempt
 * (an operator's retry starts it again under a new id). */
export function childCeremonyId(parentId: string, stepId: string, attempt: number): string {
  return `${parentId}-${stepId}-${attempt}`;
}

/** The prefix every child ceremony id of a step starts with. */
export function childCeremonyPrefix(parentId: string, stepId: string): string {
  return `${parentId}-${stepId}-`;
}
