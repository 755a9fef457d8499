import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  QueryRejectedError,
  WorkflowClient,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition, type UpdateDefinition } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { buildPlan } from '../ceremonies/build-plan';
import { planDigest } from '../ceremonies/digest';
import { ceremonyIdForTicket } from '../ceremonies/identifiers';
import { haGroupOf, type Inventory } from '../ceremonies/inventory';
import { isMaintenanceKind } from '../ceremonies/ha-maintenance';
import { haConflictText, haGroupHolders } from '../activities/ha-exclusion';
import type { CeremonyRequestInput } from '../ceremonies/request';
import type { Plan } from '../ceremonies/plan';
import type { ceremonyWorkflow } from '../workflows';
import {
  approveUpdate,
  cancelUpdate,
  checkDecisionQuery,
  type CheckDecisionInput,
  FINAL_PHASES,
  planQuery,
  rejectUpdate,
  resolveUpdate,
  signoffUpdate,
  statusQuery,
  timelineQuery,
  type ApproveInput,
  type CancelInput,
  type CeremonyInput,
  type CeremonyOutcome,
  type CeremonyStatus,
  type GateView,
  type Phase,
  type RejectInput,
  type ResolveInput,
  type SignoffInput,
  type TimelineEvent,
} from '../workflows/messages';
import { CEREMONY_WORKFLOW } from '../contract/messages';
import {
  CEREMONY_HSM,
  CEREMONY_KIND,
  CEREMONY_PHASE,
  CEREMONY_TICKET,
  ceremonySearchAttributes,
} from '../contract/search-attributes';
import {
  gatePoint,
  runChallenge,
  type DecisionFields,
  type DecisionKind,
  type OperatorActionKind,
  type SignInIdentity,
} from '../ceremonies/decision-signature';
import type { RefusalCode } from '../workflows/gate-rules';
import { newNonce, type DecisionSigner } from './decision-signer';
import { retryTransient } from './transient';
import { dataConverterFor } from '../runtime/codec';
import { connectionOptions, type AppConfig } from '../runtime/config';
import { inSpan } from '../runtime/spans';
import { startTracing } from '../runtime/tracing';
import { tracingClientInterceptors } from './tracing';

/** A request the ceremony refused (validator said no, or the ceremony does not exist). */
export class CeremonyRefusal extends Error {
  constructor(
    message: string,
    /** The workflow's refusal code (`link-used`, `digest-mismatch`, ...), or `not-found`. */
    readonly code: string = 'refused',
  ) {
    super(message);
    this.name = 'CeremonyRefusal';
  }
}

export interface StartResult {
  ceremonyId: string;
  runId: string;
  planDigest: string;
  /** True when the ticket already had a running ceremony: that one is returned, none is started. */
  existing: boolean;
  /** For an existing ceremony: the digest of the plan it runs, which may differ from the new request. */
  runningPlanDigest?: string;
}

export interface CeremonySummary {
  ceremonyId: string;
  kind?: string;
  hsm?: string;
  ticket?: string;
  phase?: string;
  status: string;
  startTime: string;
  closeTime?: string;
}

/** A decision as a person makes it; the client adds the nonce (unless a link gives one), the
 * time and the signature. */
export type ApproveRequest = Omit<ApproveInput, 'nonce' | 'at' | 'signature'> & { nonce?: string };
export type RejectRequest = Omit<RejectInput, 'nonce' | 'at' | 'signature'> & { nonce?: string };
export type SignoffRequest = Omit<SignoffInput, 'nonce' | 'at' | 'signature'> & { nonce?: string };
/** A resolve or cancel as a person makes it; the client reads the challenge and signs. */
export type ResolveRequest = Pick<ResolveInput, 'action' | 'by' | 'reason'>;
export type CancelRequest = Pick<CancelInput, 'by' | 'reason'>;

export interface ClientOptions {
  /** The key that signs a decision by `actor` when the call names none. */
  signerFor?: (actor: string) => DecisionSigner | undefined;
}

export class CeremonyClient {
  constructor(
    /** Its queries are refused by the server once a ceremony has ended (`NOT_OPEN`). */
    readonly client: Client,
    readonly taskQueue: string,
    private readonly options: ClientOptions = {},
    /** Queries an ended ceremony only when its result cannot answer: a worker replays it. */
    private readonly replaying: WorkflowClient = client.workflow,
  ) {}

  static async connect(
    config: AppConfig,
    options: ClientOptions = {},
  ): Promise<{ ceremonies: CeremonyClient; connection: Connection }> {
    const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
    // the web app installs its tracing first (as `web`); otherwise this process is the CLI
    const tracing = await startTracing(config, 'cli');
    const shared = {
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      dataConverter: dataConverterFor(config.CEREMONY_PAYLOAD_KEYS),
    };
    const client = new Client({
      ...shared,
      workflow: { queryRejectCondition: 'NOT_OPEN' },
      ...(tracing ? { interceptors: { workflow: await tracingClientInterceptors() } } : {}),
    });
    return {
      ceremonies: new CeremonyClient(client, config.TEMPORAL_TASK_QUEUE, options, new WorkflowClient(shared)),
      connection,
    };
  }

  /** Build the plan and start its ceremony; the same ticket never starts two. */
  async start(request: CeremonyRequestInput, inventory: Inventory): Promise<StartResult> {
    // the ceremony's trace starts here (or in the webhook's span around it)
    return inSpan('ceremony start', { 'ceremony.kind': request.kind, 'ceremony.hsm': request.hsm }, async (span) => {
      const { plan, digest } = buildPlan(request, inventory);
      span.setAttribute('ceremony.id', ceremonyIdForTicket(plan.ticket));
      await this.refuseHaConflict(plan, inventory);
      return this.startPlan(plan, digest);
    });
  }

  /** A maintenance ceremony on a member of an HA group does not start while another holds a
   * member of the group (docs/ha-maintenance.md); the worker's precheck `ha-exclusive` refuses
   * the same for a ceremony started otherwise. The ticket's own running ceremony is not another. */
  private async refuseHaConflict(plan: Plan, inventory: Inventory): Promise<void> {
    const group = haGroupOf(inventory, plan.hsm);
    if (!group || !isMaintenanceKind(plan.kind)) return;
    const holders = await haGroupHolders(
      this.client,
      this.taskQueue,
      inventory,
      plan.hsm,
      ceremonyIdForTicket(plan.ticket),
    );
    if (holders.length) throw new CeremonyRefusal(haConflictText(plan.hsm, group.name, holders), 'ha-group-busy');
  }

  /** The start itself decides: of starts racing on one ticket, Temporal lets exactly one through;
   * the others learn from its refusal that the ticket already has a workflow, running or ended. */
  async startPlan(plan: Plan, digest: string): Promise<StartResult> {
    const ceremonyId = ceremonyIdForTicket(plan.ticket);
    try {
      const handle = await this.client.workflow.start<typeof ceremonyWorkflow>(CEREMONY_WORKFLOW, {
        workflowId: ceremonyId,
        taskQueue: this.taskQueue,
        args: [{ plan }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: ceremonySearchAttributes(plan),
      });
      return { ceremonyId, runId: handle.firstExecutionRunId, planDigest: digest, existing: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const existing = this.handle(ceremonyId);
    const described = await existing.describe();
    if (described.status.name !== 'RUNNING') {
      throw new CeremonyRefusal(
        `ticket ${plan.ticket} already ran ceremony ${ceremonyId} (${described.status.name.toLowerCase()}); a ticket starts one ceremony only`,
      );
    }
    const { planDigest: runningPlanDigest } = await this.plan(ceremonyId);
    return { ceremonyId, runId: described.runId, planDigest: digest, existing: true, runningPlanDigest };
  }

  handle(ceremonyId: string) {
    return this.client.workflow.getHandle<typeof ceremonyWorkflow>(ceremonyId);
  }

  /** A final phase only once the workflow has closed: a ceremony whose steps have ended but whose
   * workflow still sends its last mails and ticket comments is `running`, with `ending` set. */
  async status(ceremonyId: string): Promise<CeremonyStatus> {
    const status = await this.read(
      ceremonyId,
      statusQuery,
      [],
      this.fromOutcome(ceremonyId, ({ timeline, ...status }) => status),
    );
    if (!FINAL_PHASES.includes(status.phase)) return status;
    const described = await this.call(ceremonyId, () => this.handle(ceremonyId).describe());
    return described.status.name === 'RUNNING'
      ? { ...status, phase: 'running', ending: status.phase, cancellable: false }
      : status;
  }

  timeline(ceremonyId: string): Promise<TimelineEvent[]> {
    return this.read(
      ceremonyId,
      timelineQuery,
      [],
      this.fromOutcome(ceremonyId, (outcome) => outcome.timeline),
    );
  }

  /** An ended ceremony's plan is its history's first event (the workflow's input), and its digest
   * is computed as the workflow computes it. */
  plan(ceremonyId: string): Promise<{ plan: Plan; planDigest: string }> {
    return this.read(ceremonyId, planQuery, [], async () => {
      const plan = await this.startedPlan(ceremonyId);
      return plan && { plan, planDigest: planDigest(plan) };
    });
  }

  /** The refusal a decision would meet now (its signature aside), or null: nothing is recorded. */
  checkDecision(ceremonyId: string, input: CheckDecisionInput): Promise<{ code: RefusalCode; message: string } | null> {
    return this.read(
      ceremonyId,
      checkDecisionQuery,
      [input],
      this.fromOutcome(ceremonyId, ({ phase }) => ({
        code: 'finished',
        message: `ceremony ${ceremonyId} has already ended (${phase})`,
      })),
    );
  }

  /** A running ceremony answers the query. The server refuses queries to an ended one, which is
   * answered without a worker (`ended`): a query there would make a worker replay the whole
   * history, which waits on busy workers and fails without any. Only when that cannot answer (the
   * ceremony was terminated or failed, or ended before results held the timeline) does a worker
   * replay it. */
  private read<T, A extends unknown[]>(
    ceremonyId: string,
    query: QueryDefinition<T, A>,
    args: A,
    ended: () => Promise<T | undefined>,
  ): Promise<T> {
    return this.call(ceremonyId, async () => {
      try {
        return await retryTransient(() => this.handle(ceremonyId).query(query, ...args));
      } catch (err) {
        if (!(err instanceof QueryRejectedError)) throw err;
      }
      const answer = await ended();
      return answer !== undefined ? answer : this.replaying.getHandle(ceremonyId).query(query, ...args);
    });
  }

  /** An ended ceremony's answer taken from its result, when it has one. */
  private fromOutcome<T>(ceremonyId: string, answer: (outcome: CeremonyOutcome) => T): () => Promise<T | undefined> {
    return async () => {
      const outcome = await this.outcome(ceremonyId);
      return outcome && answer(outcome);
    };
  }

  /** An ended ceremony's result; undefined when it has none (terminated, failed, timed out) or
   * ended before its result held the timeline. */
  private async outcome(ceremonyId: string): Promise<CeremonyOutcome | undefined> {
    try {
      const outcome = await this.handle(ceremonyId).result();
      return outcome.timeline ? outcome : undefined;
    } catch (err) {
      if (err instanceof WorkflowFailedError) return undefined;
      throw err;
    }
  }

  /** The plan a ceremony was started with, from its history's first event (Temporal's record of
   * the workflow's input; the result does not repeat it). */
  private async startedPlan(ceremonyId: string): Promise<Plan | undefined> {
    const { namespace, loadedDataConverter } = this.client.workflow.options;
    const { history } = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId: ceremonyId },
      maximumPageSize: 1,
    });
    const payloads = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
    if (!payloads?.length) return undefined;
    return (await decodeFromPayloadsAtIndex<CeremonyInput>(loadedDataConverter, 0, payloads)).plan;
  }

  approve(ceremonyId: string, request: ApproveRequest, signer?: DecisionSigner): Promise<GateView> {
    const approver = request.approver.toLowerCase();
    return this.sendDecision(ceremonyId, approveUpdate, { ...request, approver }, signer, {
      decision: 'approve',
      actor: approver,
      text: request.comment ?? '',
    });
  }

  reject(ceremonyId: string, request: RejectRequest, signer?: DecisionSigner): Promise<GateView> {
    const approver = request.approver.toLowerCase();
    return this.sendDecision(ceremonyId, rejectUpdate, { ...request, approver }, signer, {
      decision: 'reject',
      actor: approver,
      text: request.reason,
    });
  }

  signoff(ceremonyId: string, request: SignoffRequest, signer?: DecisionSigner): Promise<GateView> {
    const by = request.by.toLowerCase();
    return this.sendDecision(ceremonyId, signoffUpdate, { ...request, by }, signer, {
      decision: 'signoff',
      actor: by,
      text: request.reference,
    });
  }

  /** A gate decision (approve, reject, sign-off): signed over exactly what the workflow checks,
   * then sent as one Update. */
  private sendDecision<I extends ApproveInput | RejectInput | SignoffInput>(
    ceremonyId: string,
    update: UpdateDefinition<GateView, [I]>,
    request: Omit<I, 'nonce' | 'at' | 'signature'> & { nonce?: string },
    signer: DecisionSigner | undefined,
    what: { decision: DecisionKind; actor: string; text: string },
  ): Promise<GateView> {
    return this.decide((challengeFrom) =>
      this.call(ceremonyId, async () => {
        const signed = await this.signed(
          ceremonyId,
          what.decision,
          request.gate,
          what.actor,
          request.planDigest,
          what.text,
          request.nonce,
          signer,
          challengeFrom,
          request.identity,
        );
        return this.update(ceremonyId, update, { ...request, ...signed } as I);
      }),
    );
  }

  /** One person's action, sent as an Update with its own id: when the call does not get through in
   * time (a busy worker under a burst), it is sent again with the same id and the same signed
   * input, and the server answers the repeat with the first one's outcome, so a retry is never a
   * second decision (the workflow refuses a spent nonce and a second decision by the same person
   * on a gate as well). */
  private update<I, R>(ceremonyId: string, update: UpdateDefinition<R, [I]>, input: I): Promise<R> {
    const updateId = randomUUID();
    return retryTransient(() => this.handle(ceremonyId).executeUpdate(update, { args: [input], updateId }));
  }

  private keyFor(actor: string, signer: DecisionSigner | undefined, what: string): DecisionSigner {
    const key = signer ?? this.options.signerFor?.(actor.toLowerCase());
    if (!key)
      throw new CeremonyRefusal(
        `no signing key for ${actor}: ${what} are signed (--key <file>, or CEREMONY_SIGNING_KEY)`,
        'no-key',
      );
    return key;
  }

  /** A decision signed over the gate's challenge computed from the run's id (as the workflow
   * computes it: no query, so no workflow task on a busy worker); when the run refuses that
   * challenge (a run from before challenges, which issues none, or one reset in between), signed
   * again over what the open gate itself says. A refused decision records nothing. */
  private async decide<R>(attempt: (challengeFrom: 'run' | 'gate') => Promise<R>): Promise<R> {
    try {
      return await attempt('run');
    } catch (err) {
      if (!(err instanceof CeremonyRefusal && err.code === 'wrong-challenge')) throw err;
    }
    return attempt('gate');
  }

  /** Nonce, time, the gate's challenge in this run (`run`: from the run's id; `gate`: read with
   * the gate) and the signature over exactly what the workflow will check. */
  private async signed(
    ceremonyId: string,
    decision: DecisionKind,
    gate: string,
    actor: string,
    planDigest: string,
    text: string,
    nonce: string | undefined,
    signer: DecisionSigner | undefined,
    challengeFrom: 'run' | 'gate',
    identity: SignInIdentity | undefined,
  ) {
    const key = this.keyFor(actor, signer, 'decisions');
    const challenge =
      challengeFrom === 'run'
        ? await this.runGateChallenge(ceremonyId, gate)
        : await this.openGateChallenge(ceremonyId, gate);
    const fields: DecisionFields = {
      ceremonyId,
      gate,
      planDigest,
      decision,
      actor: actor.toLowerCase(),
      text,
      nonce: nonce ?? newNonce(),
      at: new Date().toISOString(),
      ...(challenge ? { challenge } : {}),
      ...(identity ? { identity } : {}),
    };
    return { nonce: fields.nonce, at: fields.at, signature: key.sign(fields), ...(challenge ? { challenge } : {}) };
  }

  /** The challenge of `gate` in the ceremony's current run, computed from the run's id (Temporal's
   * own description of the workflow, which no worker answers). */
  private async runGateChallenge(ceremonyId: string, gate: string): Promise<string> {
    const { runId } = await retryTransient(() => this.handle(ceremonyId).describe());
    return runChallenge(runId, gatePoint(gate));
  }

  /** The challenge the open gate shows (the workflow's status), if `gate` is the open one. */
  private async openGateChallenge(ceremonyId: string, gate: string): Promise<string | undefined> {
    const { openGate } = await this.status(ceremonyId);
    return openGate?.id === gate ? openGate.challenge : undefined;
  }

  /** Retry or abort a failed step, signed by the operator (the CLI: their key; the web app: its
   * attestation key after their login) over the intervention's challenge. */
  resolve(ceremonyId: string, request: ResolveRequest, signer?: DecisionSigner): Promise<{ phase: Phase }> {
    return this.call(ceremonyId, async () => {
      const key = this.keyFor(request.by, signer, 'resolves');
      const status = await this.status(ceremonyId);
      const step = status.intervention?.step ?? status.currentStep ?? '';
      const input = {
        ...request,
        by: request.by.toLowerCase(),
        ...(step ? { step } : {}),
        ...this.signedAction(
          key,
          ceremonyId,
          request.action,
          step,
          request.by,
          status.planDigest,
          request.reason,
          status.intervention?.challenge,
        ),
      };
      return this.update(ceremonyId, resolveUpdate, input);
    });
  }

  /** Cancel, signed by the operator or requester over the run's cancel challenge. */
  cancel(ceremonyId: string, request: CancelRequest, signer?: DecisionSigner): Promise<{ phase: Phase }> {
    return this.call(ceremonyId, async () => {
      const key = this.keyFor(request.by, signer, 'cancels');
      const status = await this.status(ceremonyId);
      const input = {
        ...request,
        by: request.by.toLowerCase(),
        ...this.signedAction(
          key,
          ceremonyId,
          'cancel',
          '',
          request.by,
          status.planDigest,
          request.reason,
          status.cancelChallenge,
        ),
      };
      return this.update(ceremonyId, cancelUpdate, input);
    });
  }

  private signedAction(
    key: DecisionSigner,
    ceremonyId: string,
    decision: OperatorActionKind,
    gate: string,
    actor: string,
    planDigest: string,
    text: string,
    challenge: string | undefined,
  ) {
    const fields: DecisionFields = {
      ceremonyId,
      gate,
      planDigest,
      decision,
      actor: actor.toLowerCase(),
      text,
      nonce: newNonce(),
      at: new Date().toISOString(),
      ...(challenge ? { challenge } : {}),
    };
    return {
      planDigest,
      nonce: fields.nonce,
      at: fields.at,
      signature: key.sign(fields),
      ...(challenge ? { challenge } : {}),
    };
  }

  /** Ceremonies from visibility, newest first, optionally narrowed by our search attributes. */
  async list(
    options: { kind?: string; hsm?: string; ticket?: string; phase?: string; limit?: number } = {},
  ): Promise<CeremonySummary[]> {
    // values are reduced to the characters our identifiers use: nothing can break out of the quotes
    const quote = (v: string) => `'${v.replace(/[^A-Za-z0-9._:@-]/g, '')}'`;
    const query = [
      `WorkflowType = '${CEREMONY_WORKFLOW}'`,
      options.kind && `CeremonyKind = ${quote(options.kind)}`,
      options.hsm && `CeremonyHsm = ${quote(options.hsm)}`,
      options.ticket && `CeremonyTicket = ${quote(options.ticket)}`,
      options.phase && `CeremonyPhase = ${quote(options.phase)}`,
    ]
      .filter(Boolean)
      .join(' AND ');
    const out: CeremonySummary[] = [];
    for await (const info of this.client.workflow.list({ query })) {
      out.push(summarize(info));
      if (out.length >= (options.limit ?? 100)) break;
    }
    return out;
  }

  private async call<T>(ceremonyId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw await this.notRunning(ceremonyId);
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        const code = err.cause.type === 'InvalidInput' ? 'invalid-input' : String(err.cause.details?.[0] ?? 'refused');
        throw new CeremonyRefusal(err.cause.message, code);
      }
      throw err;
    }
  }

  /** Updates to a closed workflow come back as not-found: tell "ended" from "never existed". */
  private async notRunning(ceremonyId: string): Promise<CeremonyRefusal> {
    try {
      const info = await this.handle(ceremonyId).describe();
      const phase = info.typedSearchAttributes.get(CEREMONY_PHASE) ?? info.status.name.toLowerCase();
      return new CeremonyRefusal(`ceremony ${ceremonyId} has already ended (${phase})`, 'finished');
    } catch {
      return new CeremonyRefusal(`no ceremony ${ceremonyId}`, 'not-found');
    }
  }
}

function summarize(info: WorkflowExecutionInfo): CeremonySummary {
  const attrs = info.typedSearchAttributes;
  return {
    ceremonyId: info.workflowId,
    kind: attrs.get(CEREMONY_KIND),
    hsm: attrs.get(CEREMONY_HSM),
    ticket: attrs.get(CEREMONY_TICKET),
    phase: attrs.get(CEREMONY_PHASE),
    status: info.status.name.toLowerCase(),
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
  };
}
