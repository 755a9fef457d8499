import { z } from 'zod';
import { CeremonyKindSchema } from './plan';
import type { CeremonyRequestInput } from './request';
import { describeIssues } from './validation';

// Change tickets -> ceremony requests. Each ticket system sends its own webhook shape; we take
// only what names a ceremony and refuse the rest with the field named. The ticket reference is
// `<system>:<key>`, so the same ticket always maps to the same ceremony.

export const TICKET_SYSTEMS = ['jira', 'servicenow', 'generic'] as const;
export type TicketSystem = (typeof TICKET_SYSTEMS)[number];

const Key = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a ticket key such as OPS-1234');
const Params = z.record(
  z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'expected a parameter name'),
  z.union([z.string().max(512), z.number(), z.boolean()]).transform(String),
);
/** A re-opened ticket asks for a new run: run 2 is ticket `<key>.r2`. */
const Run = z.number().int().min(2).max(99).optional();

/** Jira issue event: labels `ceremony:<kind>`, `hsm:<ref>`, `<param>=<value>`; `ceremony-run:<n>` re-runs. */
export const JiraPayloadSchema = z.object({
  webhookEvent: z.enum(['jira:issue_created', 'jira:issue_updated']),
  issue: z.object({
    key: Key,
    fields: z.object({
      summary: z.string().max(500).optional(),
      reporter: z.object({ emailAddress: z.email("expected the reporter's email address") }),
      labels: z.array(z.string().max(255)).max(50),
    }),
  }),
});

/** ServiceNow outbound REST message for a change request. */
export const ServiceNowPayloadSchema = z.object({
  number: Key,
  sys_id: z.string().regex(/^[0-9a-f]{32}$/, 'expected a 32-hex-digit sys_id'),
  short_description: z.string().max(500).optional(),
  requested_by: z.object({ email: z.email("expected the requester's email address") }),
  u_ceremony_kind: CeremonyKindSchema,
  u_hsm: z.string(),
  u_ceremony_params: Params.default({}),
  u_ceremony_run: Run,
});

/** Our documented JSON, for any other system. */
export const GenericPayloadSchema = z
  .object({
    ticket: Key,
    kind: CeremonyKindSchema,
    hsm: z.string(),
    requester: z.email(),
    params: Params.default({}),
    run: Run,
  })
  .strict();

function withRun(key: string, run: number | undefined): string {
  return run ? `${key}.r${run}` : key;
}

export type TicketMapping = { request: CeremonyRequestInput; ticketUrlKey: string; externalId?: string };

function jiraRequest(p: z.infer<typeof JiraPayloadSchema>): TicketMapping {
  const labels = p.issue.fields.labels;
  const kind = labels.find((l) => l.startsWith('ceremony:'))?.slice('ceremony:'.length);
  const hsm = labels.find((l) => l.startsWith('hsm:'))?.slice('hsm:'.length);
  const run = labels.find((l) => l.startsWith('ceremony-run:'))?.slice('ceremony-run:'.length);
  const params = Object.fromEntries(
    labels
      .filter((l) => /^[a-zA-Z][a-zA-Z0-9]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    request: {
      kind: (kind ?? '') as never,
      hsm: hsm ?? '',
      ticket: `jira:${withRun(p.issue.key, run ? Number(run) : undefined)}`,
      requester: p.issue.fields.reporter.emailAddress,
      params,
    },
    ticketUrlKey: p.issue.key,
  };
}

export function ticketRequest(system: TicketSystem, body: unknown): { mapping?: TicketMapping; problems?: string[] } {
  const schema =
    system === 'jira' ? JiraPayloadSchema : system === 'servicenow' ? ServiceNowPayloadSchema : GenericPayloadSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { problems: describeIssues(parsed.error, '(body)') };
  if (system === 'jira') {
    const mapping = jiraRequest(parsed.data as z.infer<typeof JiraPayloadSchema>);
    if (!mapping.request.kind) return { problems: ['issue.fields.labels: no "ceremony:<kind>" label'] };
    if (!mapping.request.hsm) return { problems: ['issue.fields.labels: no "hsm:<ref>" label'] };
    return { mapping };
  }
  if (system === 'servicenow') {
    const p = parsed.data as z.infer<typeof ServiceNowPayloadSchema>;
    return {
      mapping: {
        request: {
          kind: p.u_ceremony_kind,
          hsm: p.u_hsm,
          ticket: `servicenow:${withRun(p.number, p.u_ceremony_run)}`,
          requester: p.requested_by.email,
          params: p.u_ceremony_params,
        },
        ticketUrlKey: p.number,
        externalId: p.sys_id,
      },
    };
  }
  const p = parsed.data as z.infer<typeof GenericPayloadSchema>;
  return {
    mapping: {
      request: {
        kind: p.kind,
        hsm: p.hsm,
        ticket: `generic:${withRun(p.ticket, p.run)}`,
        requester: p.requester,
        params: p.params,
      },
      ticketUrlKey: p.ticket,
    },
  };
}
