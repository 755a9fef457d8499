import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logConcerns, type RefusalCounter } from './request-log';
import {
  checkFormToken,
  formToken,
  LinkError,
  verifyLinkToken,
  type LinkKeys,
  type LinkPayload,
  type LinkProblem,
} from '../ceremonies/approval-links';
import { own } from '../ceremonies/own';
import type { RefusalCode } from '../workflows/gate-rules';
import { freeTextProblem } from '../ceremonies/free-text';
import type { Plan } from '../ceremonies/plan';
import { CeremonyRefusal, type CeremonyClient } from '../client/ceremony-client';
import type { DecisionSigner } from '../client/decision-signer';
import { FINAL_PHASES, type CeremonyStatus } from '../workflows/messages';
import { html, page, type Html } from '../runtime/html';
import type { SessionPerson } from './sessions';
import { signInUrl } from './sign-in-pages';

// The page behind an emailed link. GET only renders (mail scanners prefetch links); deciding is
// a POST from that page, carrying a form token only the rendered page has.

/** What a link's page can refuse with: the workflow's refusal codes and the page's own. */
type PageRefusalCode =
  | RefusalCode
  | LinkProblem
  | 'not-found'
  | 'invalid-input'
  | 'bad-form'
  | 'no-key'
  | 'refused'
  | 'wrong-person'
  | 'sign-in-needed';

/** HTTP status for each refusal (every code has one): the request was understood, but cannot be granted. */
const STATUS_FOR: Record<PageRefusalCode, number> = {
  malformed: 400,
  'bad-signature': 403,
  'wrong-challenge': 409,
  'unknown-key': 403,
  expired: 410,
  'not-found': 404,
  'no-gate': 404,
  'wrong-gate-type': 400,
  'invalid-input': 400,
  'self-approval': 403,
  'not-eligible': 403,
  'bad-form': 403,
  finished: 409,
  'gate-not-open': 409,
  'gate-closed': 409,
  'digest-mismatch': 409,
  'link-used': 409,
  duplicate: 409,
  irreversible: 409,
  'not-needed': 409,
  refused: 409,
  'no-key': 503,
  'wrong-person': 403,
  'sign-in-needed': 401,
};

/** How a refusal reads to someone holding a link (else the workflow's own sentence). */
const LINK_WORDING: Partial<Record<RefusalCode, (link: LinkPayload, status: CeremonyStatus) => string>> = {
  'gate-not-open': (link, status) => `gate "${link.gate}" is not open (the ceremony is ${status.phase})`,
  'gate-closed': (link, status) => `gate "${link.gate}" is not open (the ceremony is ${status.phase})`,
  'digest-mismatch': () => 'the plan changed since this link was sent: the link names another plan digest',
  'not-eligible': (link) => `${link.approver} is not an approver of this gate`,
  duplicate: (link) => `${link.approver} has already decided on this gate`,
};

/** The link needs a signed-in person (OpenID Connect step-up) and there is none. */
class SignInNeeded extends Error {}

class Refused extends Error {
  constructor(
    readonly code: PageRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

function refusedPage(reply: FastifyReply, code: string, message: string): void {
  const status = own(STATUS_FOR, code) ?? 409;
  reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(
      code === 'invalid-input'
        ? page(
            'Not recorded',
            html`<h1>Your decision was not recorded</h1><div class="card refusal" data-code="${code}"><b>${message}</b></div><p class="muted">Nothing was changed. Go back, correct it and send the form again: the link still works.</p>`,
          )
        : page(
            'Not possible',
            html`<h1>This link cannot be used</h1><div class="card refusal" data-code="${code}"><b>${message}</b></div><p class="muted">Nothing was changed. Ask the ceremony's operators for a new link if you think this is wrong.</p>`,
          ),
    );
}

/** Everything GET can tell without changing anything: the workflow applies its own rules to the
 * decision this link would make (a query; nothing is recorded). */
async function precheck(ceremonies: CeremonyClient, link: LinkPayload, status: CeremonyStatus): Promise<void> {
  const kind = link.kind === 'signoff' ? 'signoff' : 'approve';
  const refusal = await ceremonies.checkDecision(link.ceremonyId, {
    kind,
    gate: link.gate,
    actor: link.approver,
    planDigest: link.digest,
    nonce: link.nonce,
  });
  if (refusal) throw new Refused(refusal.code, LINK_WORDING[refusal.code]?.(link, status) ?? refusal.message);
}

function decisionPage(
  link: LinkPayload,
  status: CeremonyStatus,
  plan: Plan,
  form: string,
  person: SessionPerson | undefined,
): string {
  const step = plan.steps.find((s) => s.id === link.gate)!;
  const gate = status.openGate!;
  const forms: Html =
    step.type === 'signoff'
      ? html`<form method="post" class="card"><input type="hidden" name="form" value="${form}"><input type="hidden" name="decision" value="signoff">
<label>${step.signer}'s reference (case number) <input name="reference" required maxlength="200"></label> <button type="submit" id="signoff">Sign off</button></form>`
      : html`<form method="post" class="card" id="approve-form"><input type="hidden" name="form" value="${form}"><input type="hidden" name="decision" value="approve">
<label>Comment (optional) <input name="comment" maxlength="2000"></label> <button type="submit" id="approve">Approve this plan</button></form>
<form method="post" class="card" id="reject-form"><input type="hidden" name="form" value="${form}"><input type="hidden" name="decision" value="reject">
<label>Reason (required) <textarea name="reason" required maxlength="2000"></textarea></label> <button type="submit" id="reject">Reject (ends the ceremony)</button></form>`;
  return page(
    `Decide: ${plan.title}`,
    html`<h1>${plan.title}</h1>
<div class="card">You are deciding as <b>${link.approver}</b> on gate <b>${step.title}</b>.${person?.identity ? html` <span id="signed-in-as">Signed in as ${person.email} (subject ${person.identity.subject} at ${person.identity.issuer}).</span>` : ''}<br>
Ceremony <b>${status.ceremonyId}</b> · ${plan.kind} on <b>${plan.hsm}</b> · ticket ${plan.ticket} · requested by ${plan.requester}<br>
Plan digest (sha256): <code id="digest">${status.planDigest}</code><br>
Approvals so far: ${gate.approvedBy.length} of ${gate.quorum}${gate.approvedBy.length ? html` (${gate.approvedBy.join(', ')})` : ''} · deadline ${gate.deadline}</div>
<h2>The plan</h2>
<table><thead><tr><th>#</th><th>Step</th><th>Type</th><th>What exactly</th></tr></thead><tbody>
${plan.steps.map((s, i) => {
  const what =
    s.type === 'approval'
      ? `${s.quorum} of ${s.approvers.join(', ')}`
      : s.type === 'signoff'
        ? `${s.signer}`
        : s.type === 'wait'
          ? s.duration
          : s.type === 'ceremony'
            ? `child ${String(s.plan.kind)} ceremony`
            : `${s.op} ${JSON.stringify(s.args)}`;
  return html`<tr${s.id === link.gate ? html` class="this-gate"` : ''}><td>${i + 1}</td><td>${s.title}${s.irreversible ? html` <b>[irreversible]</b>` : ''}</td><td>${s.type}</td><td><code>${what}</code></td></tr>`;
})}
</tbody></table>
<h2>Your decision</h2>${forms}`,
  );
}

/** `attestation`: the web app's key; it signs a decision only after the link token and the form
 * token checked out, so a decision it signed came through an emailed link. `signedIn`, with an
 * OpenID Connect sign-in: who this browser's session is; a link then also needs its own person
 * signed in (step-up), and the decision carries their issuer and subject. */
export function registerDecisionPages(
  app: FastifyInstance,
  ceremonies: CeremonyClient,
  keys: LinkKeys,
  attestation: DecisionSigner,
  perMinute: number,
  refusals?: RefusalCounter,
  signedIn?: (req: FastifyRequest) => SessionPerson | undefined,
): void {
  const rateLimit = { max: perMinute, timeWindow: '1 minute' };
  /** The link's token, checked; the request's log lines then name its ceremony and gate. */
  const verified = (req: FastifyRequest, reply: FastifyReply, token: string) => {
    const link = verifyLinkToken(keys, token);
    logConcerns(req, reply, { ceremonyId: link.ceremonyId, step: link.gate });
    return link;
  };
  /** With sign-in: the person the link names, signed in; else nothing (the link alone decides). */
  const stepUp = (req: FastifyRequest, link: LinkPayload): SessionPerson | undefined => {
    if (!signedIn) return undefined;
    const person = signedIn(req);
    if (!person) throw new SignInNeeded(link.approver);
    if (person.email !== link.approver.toLowerCase())
      throw new Refused(
        'wrong-person',
        `this link is for ${link.approver}, but you are signed in as ${person.email}: log out, then open the link again and sign in as ${link.approver}`,
      );
    return person;
  };
  const load = async (req: FastifyRequest, reply: FastifyReply, token: string) => {
    const link = verified(req, reply, token);
    const person = stepUp(req, link);
    const status = await ceremonies.status(link.ceremonyId);
    if (FINAL_PHASES.includes(status.phase))
      throw new Refused('finished', `ceremony ${link.ceremonyId} has already ended (${status.phase})`);
    const { plan } = await ceremonies.plan(link.ceremonyId);
    return { link, status, plan, person };
  };
  const refuse = (reply: FastifyReply, code: string, message: string) => {
    refusals?.linkRefused(code);
    reply.log.info({ refusal: code }, 'decision link refused');
    refusedPage(reply, code, message);
  };
  const handle = async (reply: FastifyReply, fn: () => Promise<void>, token?: string) => {
    try {
      await fn();
    } catch (err) {
      // GET goes to sign in and back; a POST cannot (the form would be lost, and the page's
      // form-action policy stops a form's redirect to another site)
      if (err instanceof SignInNeeded)
        return token !== undefined
          ? reply.header('cache-control', 'no-store').redirect(signInUrl(`/decide/${encodeURIComponent(token)}`), 303)
          : refuse(reply, 'sign-in-needed', `sign in as ${err.message} first: open the link again`);
      if (err instanceof LinkError) return refuse(reply, err.problem, err.message);
      if (err instanceof Refused) return refuse(reply, err.code, err.message);
      if (err instanceof CeremonyRefusal) return refuse(reply, err.code, err.message);
      throw err;
    }
  };
  const tokenParam = {
    params: { type: 'object', properties: { token: { type: 'string', maxLength: 4096 } }, required: ['token'] },
  } as const;

  app.get<{ Params: { token: string } }>(
    '/decide/:token',
    { schema: tokenParam, config: { rateLimit } },
    async (req, reply) =>
      handle(
        reply,
        async () => {
          const { link, status, plan, person } = await load(req, reply, req.params.token);
          await precheck(ceremonies, link, status);
          reply
            .header('cache-control', 'no-store')
            .type('text/html; charset=utf-8')
            .send(decisionPage(link, status, plan, formToken(keys, link), person));
        },
        req.params.token,
      ),
  );

  app.post<{ Params: { token: string }; Body: Record<string, string> }>(
    '/decide/:token',
    { schema: tokenParam, config: { rateLimit } },
    async (req, reply) =>
      handle(reply, async () => {
        const link = verified(req, reply, req.params.token);
        const identity = stepUp(req, link)?.identity;
        const body = req.body ?? {};
        if (!checkFormToken(keys, link, body.form))
          throw new Refused(
            'bad-form',
            'this form did not come from the page of this link (CSRF protection); open the link again',
          );
        const common = {
          gate: link.gate,
          planDigest: link.digest,
          nonce: link.nonce,
          ...(identity ? { identity } : {}),
        };
        let view;
        if (body.decision === 'approve' && link.kind === 'approval') {
          view = await ceremonies.approve(
            link.ceremonyId,
            { ...common, approver: link.approver, comment: body.comment || undefined },
            attestation,
          );
        } else if (body.decision === 'reject' && link.kind === 'approval') {
          const problem = freeTextProblem(String(body.reason ?? ''), { multiline: true });
          if (problem) throw new Refused('invalid-input', `the reason ${problem}`);
          view = await ceremonies.reject(
            link.ceremonyId,
            { ...common, approver: link.approver, reason: String(body.reason) },
            attestation,
          );
        } else if (body.decision === 'signoff' && link.kind === 'signoff') {
          view = await ceremonies.signoff(
            link.ceremonyId,
            { ...common, by: link.approver, reference: body.reference ?? '' },
            attestation,
          );
        } else {
          throw new Refused('invalid-input', 'unknown decision');
        }
        req.log.info(
          { decision: body.decision, approver: link.approver, approvals: view.approvals, quorum: view.quorum },
          'decision recorded via email link',
        );
        const said =
          body.decision === 'reject'
            ? 'Your rejection is recorded: the ceremony ends.'
            : body.decision === 'signoff'
              ? 'Your sign-off is recorded.'
              : 'Your approval is recorded.';
        reply
          .type('text/html; charset=utf-8')
          .send(
            page(
              'Recorded',
              html`<h1>${said}</h1><div class="card" id="result">Gate ${view.gate}: ${view.approvals} of ${view.quorum} approvals${view.approvals >= view.quorum ? ' — quorum reached' : ''}.</div><p class="muted">Ceremony ${link.ceremonyId}. You can close this page.</p>`,
            ),
          );
      }),
  );
}
