import { planDigest } from '../../ceremonies/digest';
import { PlanSchema, isGate, type Plan } from '../../ceremonies/plan';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { AuditEvent } from './history';

// The ceremony's promises, checked from its history alone: the auditor need not trust anyone.

export interface Violation {
  invariant: string;
  eventIds: number[];
  detail: string;
}

interface DecisionEvent {
  eventId: number;
  name: string;
  gate: string;
  actor: string;
  planDigest: string;
  via: string;
}

const SIDE_ACTIVITIES = new Set(['notify', 'ticketComment']);

export interface AuditFacts {
  plan: Plan;
  digest: string;
  decisions: DecisionEvent[];
  operations: { eventId: number; type: string; input: OperationInput; completedAt?: number; result?: OperationEvidence }[];
  cancels: number[];
  resolutions: { eventId: number; args: Record<string, unknown> }[];
  children: { eventId: number; workflowId: string; result: { kind?: string; phase?: string } }[];
}

export function auditFacts(events: AuditEvent[]): AuditFacts {
  const start = events.find((e) => e.startInput !== undefined);
  const plan = PlanSchema.parse((start?.startInput as { plan?: unknown } | undefined)?.plan);
  const decisions: DecisionEvent[] = [];
  const cancels: number[] = [];
  const resolutions: AuditFacts['resolutions'] = [];
  for (const e of events) {
    if (!e.update) continue;
    const arg = (e.update.args[0] ?? {}) as Record<string, string>;
    if (['approve', 'reject', 'signoff'].includes(e.update.name)) {
      decisions.push({ eventId: e.id, name: e.update.name, gate: arg.gate, actor: String(arg.approver ?? arg.by ?? '').toLowerCase(), planDigest: arg.planDigest, via: String(arg.via ?? 'cli') });
    } else if (e.update.name === 'cancel') cancels.push(e.id);
    else if (e.update.name === 'resolve') resolutions.push({ eventId: e.id, args: arg });
  }
  const operations: AuditFacts['operations'] = events
    .filter((e) => e.activity && !SIDE_ACTIVITIES.has(e.activity.type))
    .map((e) => ({ eventId: e.id, type: e.activity!.type, input: e.activity!.input as OperationInput }));
  for (const e of events) {
    if (!e.activityResult) continue;
    const op = operations.find((o) => o.eventId === e.activityResult!.scheduledId);
    if (op) Object.assign(op, { completedAt: e.id, result: e.activityResult.result as OperationEvidence });
  }
  const children = events.filter((e) => e.childCompleted).map((e) => ({ eventId: e.id, workflowId: e.childCompleted!.workflowId, result: e.childCompleted!.result as { kind?: string; phase?: string } }));
  return { plan, digest: planDigest(plan), decisions, operations, cancels, resolutions, children };
}

export function checkInvariants(events: AuditEvent[]): Violation[] {
  const f = auditFacts(events);
  const v: Violation[] = [];
  const stepIndex = (id: string) => f.plan.steps.findIndex((s) => s.id === id);

  for (const d of f.decisions) {
    if (d.planDigest !== f.digest) v.push({ invariant: 'approvals-bound-to-plan', eventIds: [d.eventId], detail: `${d.name} by ${d.actor} names plan ${String(d.planDigest).slice(0, 12)}…, the plan in this history is ${f.digest.slice(0, 12)}…` });
    if (d.actor === f.plan.requester) v.push({ invariant: 'no-self-approval', eventIds: [d.eventId], detail: `${d.actor} requested the ceremony and ${d.name}d it` });
  }

  for (const op of f.operations) {
    const index = stepIndex(op.input.stepId);
    for (const gate of f.plan.steps.slice(0, Math.max(index, 0)).filter(isGate)) {
      const before = f.decisions.filter((d) => d.gate === gate.id && d.eventId < op.eventId);
      const approvers = new Set(before.filter((d) => d.name !== 'reject').map((d) => d.actor));
      const quorum = gate.type === 'approval' ? gate.quorum : 1;
      if (approvers.size < quorum || before.some((d) => d.name === 'reject')) {
        v.push({ invariant: 'quorum-before-gated-steps', eventIds: [op.eventId, ...before.map((d) => d.eventId)], detail: `${op.type} (step ${op.input.stepId}) ran with ${approvers.size} of ${quorum} approvals on gate ${gate.id}` });
      }
    }
    const step = f.plan.steps[index];
    const cancel = f.cancels[0];
    if (step?.irreversible && cancel !== undefined && op.eventId > cancel) {
      v.push({ invariant: 'no-irreversible-after-cancel', eventIds: [cancel, op.eventId], detail: `irreversible ${op.type} started after the cancel` });
    }
    const doneBefore = (type: string, ok: (o: (typeof f.operations)[number]) => boolean = () => true) =>
      f.operations.some((o) => o.type === type && o.completedAt !== undefined && o.completedAt < op.eventId && ok(o));
    if (op.type === 'azure.deleteDedicatedHsm' && !(doneBefore('hsm.zeroize') && doneBefore('hsm.verify', (o) => o.input.args.zeroized === true))) {
      v.push({ invariant: 'zeroize-verified-before-deprovision', eventIds: [op.eventId], detail: 'the Azure deprovision was scheduled without a completed zeroize and a completed verification that the HSM is zeroized' });
    }
    if (op.type === 'firmware.upgrade' && !(doneBefore('backup.verify') || f.children.some((c) => c.eventId < op.eventId && c.result?.kind === 'backup' && c.result?.phase === 'completed'))) {
      v.push({ invariant: 'backup-verified-before-firmware-upgrade', eventIds: [op.eventId], detail: 'the firmware upgrade was scheduled without a completed, verified backup' });
    }
    if (op.completedAt !== undefined && op.type.includes('.') && step?.type === 'device') {
      const r = op.result;
      const complete = r && r.op === op.type && typeof r.outcome === 'string' && r.probe && r.verify && (r.outcome !== 'applied' || r.commands.length > 0);
      if (!complete) v.push({ invariant: 'device-steps-evidence', eventIds: [op.completedAt], detail: `${op.type} (step ${op.input.stepId}) completed without probe/act/verify evidence` });
    }
  }
  return v;
}
