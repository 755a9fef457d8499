import type { TicketSystem } from '../../ceremonies/tickets';
import type { AppConfig } from '../../runtime/config';

// Posting progress back to the ticket, one adapter per system. Each can list the ticket's
// comments, so a comment is posted once: the activity looks for its marker first.

export interface TicketAdapter {
  comments(key: string): Promise<string[]>;
  post(key: string, text: string): Promise<void>;
}

export class TicketSystemError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TicketSystemError';
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!res.ok)
    throw new TicketSystemError(res.status, `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${res.status}`);
  return res;
}

const json = { 'content-type': 'application/json', accept: 'application/json' };
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

/** Jira REST v2: /rest/api/2/issue/{key}/comment */
export function jiraAdapter(baseUrl: string, user: string, apiToken: string): TicketAdapter {
  const headers = { ...json, authorization: basic(user, apiToken) };
  const url = (key: string) => `${baseUrl.replace(/\/$/, '')}/rest/api/2/issue/${encodeURIComponent(key)}/comment`;
  return {
    async comments(key) {
      const body = (await (await call(`${url(key)}?maxResults=1000`, { headers })).json()) as {
        comments?: { body?: string }[];
      };
      return (body.comments ?? []).map((c) => c.body ?? '');
    },
    async post(key, text) {
      await call(url(key), { method: 'POST', headers, body: JSON.stringify({ body: text }) });
    },
  };
}

/** ServiceNow Table API: work notes on the change request. */
export function serviceNowAdapter(baseUrl: string, user: string, password: string): TicketAdapter {
  const headers = { ...json, authorization: basic(user, password) };
  const base = baseUrl.replace(/\/$/, '');
  const sysId = async (number: string) => {
    const body = (await (
      await call(
        `${base}/api/now/table/change_request?sysparm_query=number=${encodeURIComponent(number)}&sysparm_fields=sys_id`,
        { headers },
      )
    ).json()) as { result: { sys_id: string }[] };
    if (!body.result[0]) throw new TicketSystemError(404, `no change request ${number}`);
    return body.result[0].sys_id;
  };
  return {
    async comments(number) {
      const id = await sysId(number);
      const body = (await (
        await call(
          `${base}/api/now/table/sys_journal_field?sysparm_query=element_id=${id}^element=work_notes&sysparm_fields=value`,
          { headers },
        )
      ).json()) as { result: { value: string }[] };
      return body.result.map((r) => r.value);
    },
    async post(number, text) {
      const id = await sysId(number);
      await call(`${base}/api/now/table/change_request/${id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ work_notes: text }),
      });
    },
  };
}

/** Our documented generic API: GET/POST {base}/tickets/{key}/comments with `{ body }`. */
export function genericAdapter(baseUrl: string, token?: string): TicketAdapter {
  const headers = { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const url = (key: string) => `${baseUrl.replace(/\/$/, '')}/tickets/${encodeURIComponent(key)}/comments`;
  return {
    async comments(key) {
      return ((await (await call(url(key), { headers })).json()) as { body: string }[]).map((c) => c.body);
    },
    async post(key, text) {
      await call(url(key), { method: 'POST', headers, body: JSON.stringify({ body: text }) });
    },
  };
}

export type TicketApiSettings = Pick<
  AppConfig,
  | 'JIRA_BASE_URL'
  | 'JIRA_USER'
  | 'JIRA_API_TOKEN'
  | 'SERVICENOW_URL'
  | 'SERVICENOW_USER'
  | 'SERVICENOW_PASSWORD'
  | 'TICKET_GENERIC_URL'
  | 'TICKET_GENERIC_TOKEN'
>;

/** Adapters for the systems the configuration names. */
export function ticketAdapters(c: TicketApiSettings): Partial<Record<TicketSystem, TicketAdapter>> {
  const out: Partial<Record<TicketSystem, TicketAdapter>> = {};
  if (c.JIRA_BASE_URL && c.JIRA_USER && c.JIRA_API_TOKEN)
    out.jira = jiraAdapter(c.JIRA_BASE_URL, c.JIRA_USER, c.JIRA_API_TOKEN);
  if (c.SERVICENOW_URL && c.SERVICENOW_USER && c.SERVICENOW_PASSWORD)
    out.servicenow = serviceNowAdapter(c.SERVICENOW_URL, c.SERVICENOW_USER, c.SERVICENOW_PASSWORD);
  if (c.TICKET_GENERIC_URL) out.generic = genericAdapter(c.TICKET_GENERIC_URL, c.TICKET_GENERIC_TOKEN);
  return out;
}
