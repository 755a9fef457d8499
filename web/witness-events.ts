import type { OperationEvidence } from '../contract/activities';
import { own } from '../ceremonies/own';
import type { CeremonyStatus, Decision, StepStatus, TimelineEvent, TimelineType } from '../workflows/messages';

// What a witness of a ceremony sees, derived from the workflow's own record: one event per
// timeline entry (its seq is the event's id, so a reconnecting stream resumes without
// duplicates), a finished step carrying the device commands it ran with their scrubbed output.

export type Command = NonNullable<OperationEvidence['transcript']>[number];

export type WitnessKind = 'step-started' | 'step-ended' | 'decision' | 'ended' | 'note';

export interface WitnessEvent {
  seq: number;
  at: string;
  kind: WitnessKind;
  /** The timeline's event type (`gate-opened`, `approve`, `step-succeeded`, ...). */
  type: TimelineType;
  actor: string;
  step?: string;
  detail: string;
  /** For a step's events: the step's status now (the page's step table shows it). */
  stepStatus?: StepStatus;
  /** For a step that succeeded: the device commands its run recorded, outputs already scrubbed. */
  commands?: Command[];
  /** For a decision: the row of the page's decisions table. */
  decision?: { at: string; gate: string; actor: string; decision: string; via: string; note: string };
}

/** How the page shows each timeline type (any other is a note). */
const KINDS: { [T in TimelineType]?: WitnessKind } = {
  'step-started': 'step-started',
  'gate-opened': 'step-started',
  'child-started': 'step-started',
  'step-succeeded': 'step-ended',
  'step-failed': 'step-ended',
  'gate-passed': 'step-ended',
  'gate-expired': 'step-ended',
  'child-completed': 'step-ended',
  'precheck-refused': 'step-ended',
  approve: 'decision',
  reject: 'decision',
  signoff: 'decision',
  'ceremony-ended': 'ended',
};

/** The witness events after `afterSeq`, in the order the workflow recorded them. `status` must be
 * read after `timeline` (it is then at least as new: evidence is set before its event is recorded). */
export function witnessEvents(timeline: TimelineEvent[], status: CeremonyStatus, afterSeq = 0): WitnessEvent[] {
  // the workflow records a decision and its timeline event together: the n-th of each match
  let decisions = 0;
  return timeline
    .map((e) => {
      const kind = own(KINDS, e.type) ?? 'note';
      return { e, kind, decided: kind === 'decision' ? status.decisions[decisions++] : undefined };
    })
    .filter(({ e }) => e.seq > afterSeq)
    .map(({ e, kind, decided }) => {
      const step = e.step === undefined ? undefined : status.steps.find((s) => s.id === e.step);
      const event: WitnessEvent = { seq: e.seq, at: e.at, kind, type: e.type, actor: e.actor, detail: e.detail };
      if (e.step !== undefined) event.step = e.step;
      if (step && kind !== 'note') event.stepStatus = step.status;
      const transcript = step?.evidence?.transcript;
      if (e.type === 'step-succeeded' && transcript?.length) event.commands = transcript;
      if (decided) event.decision = decisionRow(decided);
      return event;
    });
}

/** A decision as the page's decisions table shows it. */
export function decisionRow(d: Decision): NonNullable<WitnessEvent['decision']> {
  return {
    at: d.at,
    gate: d.gate,
    actor: d.actor,
    decision: d.decision,
    via: d.via,
    note: d.reason ?? d.comment ?? d.reference ?? '',
  };
}
