import { z } from 'zod';
import { durationMs } from './duration';
import { isGate, isOperation } from './steps';
import { ArgValueSchema, DurationSchema, EmailSchema, SlugSchema, TicketRefSchema } from './identifiers';
import { isSelfApproval } from './rules';
import {
  commandTimeoutMs,
  isOperationName,
  OPERATION_NAMES,
  OPERATIONS_CATALOGUE,
  operationArgsProblems,
  operationKind,
  type OperationName,
} from './operations';

export const CEREMONY_KINDS = [
  'hsm-init',
  'partition-create',
  'backup',
  'firmware-upgrade',
  'zeroize-deprovision',
  'rehearsal',
  'backup-retention',
  'ntls-certificate-rotation',
  'restore',
  'restore-drill',
] as const;
export const CeremonyKindSchema = z.enum(CEREMONY_KINDS);
export type CeremonyKind = z.infer<typeof CeremonyKindSchema>;

const stepBase = {
  id: SlugSchema,
  title: z.string().min(1).max(200),
  /** Once an irreversible step has started, the ceremony can no longer be cancelled. */
  irreversible: z.boolean().default(false),
};

const uniqueEmails = (list: string[]) => new Set(list).size === list.length;

/** M of N distinct approvers from a named group; one reject ends the ceremony. */
export const ApprovalStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('approval'),
    group: SlugSchema,
    approvers: z.array(EmailSchema).min(1).refine(uniqueEmails, 'approvers must be distinct'),
    quorum: z.number().int().min(1),
    deadline: DurationSchema,
    remindEvery: DurationSchema.optional(),
  })
  .refine((s) => s.quorum <= s.approvers.length, {
    message: 'quorum cannot exceed the number of approvers',
    path: ['quorum'],
  });

/** An external party (e.g. Microsoft for firmware) signs off; their reference is the evidence. */
export const SignoffStepSchema = z.object({
  ...stepBase,
  type: z.literal('signoff'),
  signer: z.string().min(1).max(100),
  contacts: z.array(EmailSchema).min(1),
  deadline: DurationSchema,
  remindEvery: DurationSchema.optional(),
});

const operationFields = {
  op: z.enum(OPERATION_NAMES as [OperationName, ...OperationName[]], {
    error: (issue) => `unknown operation ${JSON.stringify(issue.input)}`,
  }),
  args: z
    .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'expected an argument name'), ArgValueSchema)
    .default({}),
  timeout: DurationSchema.default('2m'),
  /** A step whose worker stops heartbeating this long is retried on another worker. */
  heartbeatTimeout: DurationSchema.default('15s'),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  /** Steps that must have succeeded before this one may run (e.g. a verified zeroize before
   * the Azure deprovision): the workflow refuses to run it otherwise, whatever the order. */
  requires: z.array(SlugSchema).default([]),
  /** Failures of these types also alert these people (e.g. a hung reboot → support request). */
  escalate: z
    .object({
      on: z.array(z.string().regex(/^[A-Za-z]+$/)).min(1),
      to: z.array(EmailSchema).min(1),
      subject: z.string().min(1).max(200),
    })
    .optional(),
  /** For a probe-only check: when its condition already holds, the ceremony has nothing to do
   * and completes here (e.g. the appliance already runs the target firmware). */
  completeIfPresent: z.boolean().default(false),
};

/** A typed operation on the target appliance (probe -> act -> verify in `activities/`). */
export const DeviceStepSchema = z.object({
  ...stepBase,
  type: z.literal('device'),
  hsm: SlugSchema,
  ...operationFields,
});
/** A call to an external API (Azure ARM, ticket systems). */
export const ApiStepSchema = z.object({ ...stepBase, type: z.literal('api'), ...operationFields });
/** A precondition that must hold before the ceremony goes on (licence, VPN path, recent backup). */
export const CheckStepSchema = z.object({
  ...stepBase,
  type: z.literal('check'),
  ...operationFields,
  /** Checked before any gate opens: when its condition does not hold, the ceremony ends
   * `refused` with the reason, before anyone is asked to approve (no operator retry). */
  precheck: z.literal(true).optional(),
});
/** A durable pause (e.g. let an appliance settle after a reboot). */
export const WaitStepSchema = z.object({ ...stepBase, type: z.literal('wait'), duration: DurationSchema });
/** Another ceremony run as a child workflow (e.g. the fresh backup before a firmware upgrade).
 * Its plan is built with the parent's and embedded, so the parent's digest covers it. */
export const CeremonyStepSchema = z.object({
  ...stepBase,
  type: z.literal('ceremony'),
  plan: z.record(z.string(), z.unknown()),
});

export const StepSchema = z.discriminatedUnion('type', [
  ApprovalStepSchema,
  SignoffStepSchema,
  DeviceStepSchema,
  ApiStepSchema,
  CheckStepSchema,
  WaitStepSchema,
  CeremonyStepSchema,
]);

const PlanObjectSchema = z
  .object({
    version: z.literal(1),
    kind: CeremonyKindSchema,
    title: z.string().min(1).max(200),
    requester: EmailSchema,
    ticket: TicketRefSchema,
    hsm: SlugSchema,
    /** People who may resolve a failed step or cancel the ceremony. */
    operators: z.array(EmailSchema).min(1),
    params: z.record(z.string(), ArgValueSchema).default({}),
    steps: z.array(StepSchema).min(1),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    const firstGate = plan.steps.findIndex(isGate);
    plan.steps.forEach((step, i) => {
      if (step.type === 'check' && step.precheck && firstGate >= 0 && i > firstGate) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'precheck'],
          message: `a precheck must come before the first gate ("${plan.steps[firstGate].id}")`,
        });
      }
      if (seen.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
      if ('requires' in step) {
        step.requires.forEach((required, j) => {
          if (!seen.has(required)) {
            ctx.addIssue({
              code: 'custom',
              path: ['steps', i, 'requires', j],
              message: `"${required}" is not an earlier step`,
            });
          }
        });
      }
      seen.add(step.id);
      if (isOperation(step)) {
        // each operation's arguments as the catalogue declares them, checked before anyone approves
        for (const problem of operationArgsProblems(step.op, step.args))
          ctx.addIssue({ code: 'custom', path: ['steps', i, ...problem.path], message: problem.message });
        if (durationMs(step.timeout) <= commandTimeoutMs(step.op)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'timeout'],
            message: `${step.op} may take ${OPERATIONS_CATALOGUE[step.op].commandTimeout} on an appliance: the step's timeout ${step.timeout} must be longer`,
          });
        }
        if (operationKind(step.op) === 'irreversible' && !step.irreversible) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'irreversible'],
            message: `${step.op} is irreversible: the step must be marked irreversible`,
          });
        }
      }
      if (step.type === 'approval' && step.approvers.some((a) => isSelfApproval(plan.requester, a))) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'approvers'],
          message: `the requester ${plan.requester} cannot be an approver of their own ceremony`,
        });
      }
    });
  });

/** An operation step without a timeout gets one that covers its command: the plan default, or
 * twice what the catalogue says the command may take, plus a minute, when that is longer. */
function withStepTimeouts(input: unknown): unknown {
  if (!input || typeof input !== 'object' || !Array.isArray((input as { steps?: unknown }).steps)) return input;
  const steps = (input as { steps: unknown[] }).steps.map((step) => {
    if (!step || typeof step !== 'object') return step;
    const { op, timeout } = step as { op?: unknown; timeout?: unknown };
    if (timeout !== undefined || typeof op !== 'string' || !isOperationName(op)) return step;
    const minutes = Math.ceil((2 * commandTimeoutMs(op)) / 60_000) + 1;
    return minutes > 2 ? { ...step, timeout: `${minutes}m` } : step;
  });
  return { ...input, steps };
}

export const PlanSchema = z.preprocess(withStepTimeouts, PlanObjectSchema);

export type Plan = z.infer<typeof PlanObjectSchema>;
/** What a plan author writes: defaults (irreversible, args, timeouts) may be left out. */
export type PlanInput = z.input<typeof PlanObjectSchema>;
export type Step = z.infer<typeof StepSchema>;
export type ApprovalStep = z.infer<typeof ApprovalStepSchema>;
export type SignoffStep = z.infer<typeof SignoffStepSchema>;
export type GateStep = ApprovalStep | SignoffStep;
export type OperationStep =
  z.infer<typeof DeviceStepSchema> | z.infer<typeof ApiStepSchema> | z.infer<typeof CheckStepSchema>;
export type WaitStep = z.infer<typeof WaitStepSchema>;
export type CeremonyStep = z.infer<typeof CeremonyStepSchema>;

export { isGate, isOperation };
