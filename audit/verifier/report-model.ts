import { own } from '../../ceremonies/own';
import { isGate, isOperation } from '../../ceremonies/plan';
import type { ApiCall, OperationEvidence } from '../../activities/types';
import { childCeremonyPrefix } from '../../contract/messages';
import { acceptedUpdates, type AuditEvent } from './history';
import { auditFacts } from './invariants';
import { stateLine } from './step-states';
import type { VerifyCheck, VerifyResult } from './verdict';

// What the audit report says, read from the history alone: who asked, which plan, who decided
// when and how (and whether the signature holds), what each step found and left, every device
// command with its whole scrubbed output, every API call, failures and who resolved them, and
// the verdict with each check. The renderers (report.ts) only lay it out.

export interface ReportCommand {
  device: string;
  user: string;
  command: string;
  code: number;
  output: string;
}

export interface ReportStep {
  n: number;
  id: string;
  title: string;
  irreversible: boolean;
  /** What happened, in a few words: "applied", "checked", "approved by …", "not run", "failed". */
  status: string;
  /** Before → after, from the probe and verify evidence (operations that completed). */
  state?: string;
  commands: ReportCommand[];
  apiCalls: ApiCall[];
  nextSteps: string[];
  /** The `Warning:` lines the devices printed while the step ran ("device: line"), once each. */
  warnings: string[];
}

export interface ReportDecision {
  recorded: string;
  gate: string;
  who: string;
  decision: string;
  how: string;
  signedAt: string;
  signature: string;
  plan: string;
  text: string;
}

export interface ReportIncident {
  when: string;
  what: string;
  who: string;
  detail: string;
  commands: ReportCommand[];
  /** The `Warning:` lines of the failed attempt ("device: line"), once each. */
  warnings: string[];
}

export interface ReportModel {
  title: string;
  summary: [string, string][];
  verdict: { headline: string; checks: VerifyCheck[]; lines: string[] };
  decisions: ReportDecision[];
  steps: ReportStep[];
  incidents: ReportIncident[];
}

const HOW: Record<string, string> = { cli: 'own key (CLI)', 'email-link': 'email link (the web app attests)' };

function verdictOf(verdict: VerifyResult | undefined): ReportModel['verdict'] {
  if (!verdict)
    return {
      headline: 'NOT VERIFIED: run `ceremony audit verify` (or report with the export and its manifest)',
      checks: [],
      lines: [],
    };
  const headline = verdict.ok
    ? `VERIFIED: ${verdict.replayed ? 'replayed with the current code' : 'from the history alone (not replayed)'}, every decision signed, every invariant holds`
    : 'FAILED: the history does not prove what the ceremony claims (below)';
  const lines = [
    ...verdict.problems,
    ...verdict.violations.map((v) => `${v.invariant} (events ${v.eventIds.join(', ')}): ${v.detail}`),
    ...verdict.notes,
  ];
  return { headline, checks: verdict.checks, lines };
}

function commandsOf(transcript: unknown): ReportCommand[] {
  const t = (transcript as { transcript?: unknown } | undefined)?.transcript;
  return Array.isArray(t)
    ? (t as ReportCommand[]).map((c) => ({
        device: String(c.device),
        user: String(c.user),
        command: String(c.command),
        code: Number(c.code),
        output: String(c.output ?? ''),
      }))
    : [];
}

function warningsOf(recorded: unknown): string[] {
  const w = (recorded as { warnings?: unknown } | undefined)?.warnings;
  return Array.isArray(w)
    ? [...new Set((w as { device?: unknown; line?: unknown }[]).map((x) => `${String(x.device)}: ${String(x.line)}`))]
    : [];
}

const OUTCOME: Record<OperationEvidence['outcome'], string> = {
  applied: 'applied (the probe found it missing; done and verified)',
  'already-present': 'already in place (nothing sent)',
  checked: 'check holds',
  present: 'condition present',
  absent: 'condition absent',
};

export function reportModel(events: AuditEvent[], verdict?: VerifyResult): ReportModel {
  const f = auditFacts(events);
  const time = (id: number) => events.find((e) => e.id === id)?.time ?? '';
  const failures = events.filter((e) => e.activityFailed);
  const scheduledStep = new Map(f.operations.map((o) => [o.eventId, o.input.stepId]));
  const outcome = f.close
    ? (f.close.phase ?? f.close.type.replace('EVENT_TYPE_WORKFLOW_EXECUTION_', '').toLowerCase())
    : 'still running (the history has no close event)';

  const steps = f.plan.steps.map((step, i): ReportStep => {
    const base = {
      n: i + 1,
      id: step.id,
      title: step.title,
      irreversible: step.irreversible,
      commands: [] as ReportCommand[],
      apiCalls: [] as ApiCall[],
      nextSteps: [] as string[],
      warnings: [] as string[],
    };
    if (isGate(step)) {
      const ds = f.decisions.filter((d) => d.gate === step.id);
      const standing = f.operations.find((o) => o.input.stepId === step.id);
      return {
        ...base,
        status: ds.length
          ? ds.map((d) => `${d.name} by ${d.actor}`).join(', ')
          : standing
            ? 'standing approval (below)'
            : 'no decision',
      };
    }
    if (step.type === 'ceremony') {
      const runs = f.children.filter((c) => c.workflowId.startsWith(childCeremonyPrefix(f.ceremonyId, step.id)));
      return {
        ...base,
        status: runs.length
          ? runs.map((c) => `child ceremony ${c.workflowId}: ${c.result?.phase ?? 'ended'}`).join('; ') +
            ' (its own history has its report)'
          : 'not run',
      };
    }
    if (!isOperation(step)) return { ...base, status: 'wait' };
    const runs = f.operations.filter((o) => o.input.stepId === step.id);
    const done = runs.find((o) => o.result);
    const failedRuns = failures.filter((e) => scheduledStep.get(e.activityFailed!.scheduledId) === step.id).length;
    const tries = failedRuns ? ` after ${failedRuns} failed run${failedRuns > 1 ? 's' : ''} (below)` : '';
    if (!done?.result) return { ...base, status: runs.length ? 'failed (below)' : 'not run' };
    const r = done.result;
    return {
      ...base,
      status: `${own(OUTCOME, r.outcome) ?? r.outcome}${tries}`,
      state: stateLine(r, done.input.args),
      commands: commandsOf(r),
      apiCalls: r.apiCalls ?? [],
      nextSteps: r.nextSteps ?? [],
      warnings: warningsOf(r),
    };
  });

  const incidents: ReportIncident[] = [
    ...failures.map((e): ReportIncident => {
      const stepId = scheduledStep.get(e.activityFailed!.scheduledId) ?? '?';
      return {
        when: e.time,
        what: `reported step ${stepId} failed`,
        who: 'worker',
        detail: `${e.activityFailed!.type ? `${e.activityFailed!.type}: ` : ''}${e.activityFailed!.message}`,
        commands: commandsOf(e.activityFailed!.details),
        warnings: warningsOf(e.activityFailed!.details),
      };
    }),
    ...events
      .filter((e) => e.type.includes('ACTIVITY_TASK_TIMED_OUT'))
      .map((e): ReportIncident => ({
        when: e.time,
        what: 'reported a step timed out',
        who: 'worker',
        detail: `event ${e.id}`,
        commands: [],
        warnings: [],
      })),
    ...f.resolutions.map((r): ReportIncident => ({
      when: time(r.eventId),
      what: `chose ${String(r.args.action)}`,
      who: String(r.args.by),
      detail: String(r.args.reason ?? ''),
      commands: [],
      warnings: [],
    })),
    ...acceptedUpdates(events).flatMap((u): ReportIncident[] =>
      u.kind === 'update' && u.name === 'cancel'
        ? [
            {
              when: time(u.eventId),
              what: 'cancelled',
              who: String(u.input.by),
              detail: String(u.input.reason ?? ''),
              commands: [],
              warnings: [],
            },
          ]
        : [],
    ),
  ].sort((a, b) => a.when.localeCompare(b.when));

  return {
    title: f.plan.title,
    summary: [
      ['Ceremony', `${f.ceremonyId} (${f.plan.kind} on ${f.plan.hsm})`],
      ['Requested by', f.plan.requester],
      ['Ticket', f.plan.ticket],
      ['Started', events[0]?.time ?? ''],
      ['Plan digest (sha256)', f.digest],
      ['Outcome', outcome],
      ...(f.parentWorkflowId ? ([['Started by', `ceremony ${f.parentWorkflowId}`]] as [string, string][]) : []),
    ],
    verdict: verdictOf(verdict),
    decisions: f.decisions.map((d) => ({
      recorded: time(d.eventId),
      gate: d.gate,
      who: d.identity ? `${d.actor} (signed in as ${d.identity.subject} at ${d.identity.issuer})` : d.actor,
      decision: d.name,
      how: own(HOW, d.via) ?? d.via,
      signedAt: d.at,
      signature: d.signatureValid ? 'valid' : 'INVALID',
      plan:
        d.planDigest === f.digest
          ? `this plan (${f.digest.slice(0, 12)}…)`
          : `OTHER plan ${String(d.planDigest).slice(0, 12)}…`,
      text: d.text,
    })),
    steps,
    incidents,
  };
}
