import { type Command, InvalidArgumentError, Option } from 'commander';
import { buildPlan } from '../../ceremonies/build-plan';
import { CEREMONY_KINDS, type Plan } from '../../ceremonies/plan';
import { parseParamPairs, type CeremonyRequestInput } from '../../ceremonies/request';
import { PHASES } from '../../workflows/messages';
import { loadSigner } from '../../client/decision-signer';
import { CeremonyRefusal, type CliContext } from '../context';
import { readAllBackupProofs } from '../../activities/backup-proofs';
import {
  formatBackupProofs,
  formatCancelled,
  formatList,
  formatPlan,
  formatResolved,
  formatStarted,
  formatStatus,
  formatTimeline,
} from '../format';

/** What a preview puts in the plan when not told: the ticket and requester are part of the plan
 * and its digest, so a preview's digest matches a start's only with the same two. */
export const PREVIEW_TICKET = 'preview:PLAN';
export const PREVIEW_REQUESTER = 'requester@example.com';

/** resolve and cancel are signed as decisions are: with the person's own key. */
const keyOption = (what: string) =>
  new Option(
    '--key <file>',
    `your Ed25519 private key (PEM, from \`ceremony keygen\`), or a reference env:NAME / file:/path; the ${what} is signed with it`,
  )
    .env('CEREMONY_SIGNING_KEY')
    .makeOptionMandatory();

function signer(ref: string) {
  try {
    return loadSigner(ref);
  } catch (err) {
    throw new CeremonyRefusal(`--key: ${(err as Error).message}`);
  }
}

const repeatable = (value: string, previous: string[]) => [...previous, value];

function positiveCount(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000)
    throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return Number(value);
}

type RequestOptions = { hsm: string; ticket: string; requester: string; param: string[] };

const request = (kind: string, opts: RequestOptions): CeremonyRequestInput => ({
  kind: kind as never,
  hsm: opts.hsm,
  ticket: opts.ticket,
  requester: opts.requester,
  params: parseParamPairs(opts.param),
});

/** start, status, timeline, plan, list, resolve, cancel: a ceremony's life. */
export function registerCeremonyCommands(program: Command, ctx: CliContext): void {
  const printPlan = (shown: { plan: Plan; planDigest: string }) =>
    ctx.print(shown, (v) => formatPlan(v.plan, v.planDigest));

  program
    .command('start')
    .description('build the plan for a ceremony and start it; the same ticket never starts two ceremonies')
    .argument('<kind>', `ceremony kind: ${CEREMONY_KINDS.join(', ')}`)
    .requiredOption('--hsm <ref>', 'target HSM, as named in the inventory')
    .requiredOption('--ticket <ref>', 'change ticket, e.g. jira:OPS-1234 (the ceremony id derives from it)')
    .requiredOption('--requester <email>', 'who asks for the ceremony (can never approve it)')
    .option('--param <key=value>', 'ceremony parameter (repeatable)', repeatable, [] as string[])
    .action(async (kind: string, opts: RequestOptions) => {
      const inventory = ctx.inventory();
      const asked = request(kind, opts);
      const started = await ctx.withClient((c) => c.start(asked, inventory));
      ctx.print(started, (s) => formatStarted(s, opts.ticket));
    });

  program
    .command('status <id>')
    .description("phase, current step, approvals so far and each step's outcome")
    .action(async (id: string) => ctx.print(await ctx.withClient((c) => c.status(id)), formatStatus));

  program
    .command('timeline <id>')
    .description('every event of the ceremony, in order, with its actor')
    .action(async (id: string) => ctx.print(await ctx.withClient((c) => c.timeline(id)), formatTimeline));

  program
    .command('plan')
    .description(
      'the exact plan a ceremony runs, and its digest; or, with --preview, the plan `ceremony start` would build, without starting anything',
    )
    .argument('[id]', 'the ceremony (e.g. ceremony-jira-OPS-1)')
    .option(
      '--preview <kind>',
      `instead, build and check the plan of a new ceremony of this kind (${CEREMONY_KINDS.join(', ')}); nothing starts, no Temporal needed`,
    )
    .option('--hsm <ref>', 'with --preview: target HSM, as named in the inventory')
    .option('--param <key=value>', 'with --preview: ceremony parameter (repeatable)', repeatable, [] as string[])
    .option('--ticket <ref>', 'with --preview: change ticket', PREVIEW_TICKET)
    .option('--requester <email>', 'with --preview: who asks for the ceremony', PREVIEW_REQUESTER)
    .addHelpText(
      'after',
      `
Examples:
  ceremony plan ceremony-jira-OPS-1       the plan the ceremony runs
  ceremony plan --preview backup --hsm hsm-weu-1 --param partitions=payments
                                          the plan \`ceremony start backup\` would build

A preview is built and checked (parameters, inventory, policy) as \`ceremony start\` does, and
refused with the same messages. The ticket and requester are part of the plan and its digest:
give the --ticket and --requester you will start with to see the digest the approvers will sign.`,
    )
    .action(
      async (
        id: string | undefined,
        opts: Omit<RequestOptions, 'hsm'> & { hsm?: string; preview?: string },
        command: Command,
      ) => {
        if (id === undefined) {
          if (opts.preview === undefined)
            command.error('error: name a ceremony id, or --preview <kind> for a plan not started yet');
          if (opts.hsm === undefined)
            command.error("error: required option '--hsm <ref>' not specified with --preview");
          const { plan, digest } = buildPlan(request(opts.preview, { ...opts, hsm: opts.hsm }), ctx.inventory());
          return printPlan({ plan, planDigest: digest });
        }
        if (opts.preview !== undefined) command.error('error: name a ceremony id or --preview <kind>, not both');
        const previewOnly = ['hsm', 'param', 'ticket', 'requester'].filter(
          (name) => command.getOptionValueSource(name) === 'cli',
        );
        if (previewOnly.length)
          command.error(
            `error: ${previewOnly.map((name) => `--${name}`).join(', ')}: only with --preview <kind>, not with a ceremony id`,
          );
        printPlan(await ctx.withClient((c) => c.plan(id)));
      },
    );

  program
    .command('list')
    .description('ceremonies known to Temporal, newest first')
    .option('--kind <kind>', 'only this ceremony kind')
    .option('--hsm <ref>', 'only this HSM')
    .addOption(new Option('--phase <phase>', 'only this phase').choices([...PHASES]))
    .option('--limit <n>', 'at most n rows (1-1000)', positiveCount, 50)
    .action(async (opts: { kind?: string; hsm?: string; phase?: string; limit: number }) => {
      ctx.print(await ctx.withClient((c) => c.list(opts)), formatList);
    });

  program
    .command('backups')
    .description(
      'per HSM and partition: the last backup and the last successful restore drill, and whether a drill proved the newest backup restorable',
    )
    .option('--hsm <ref>', 'only this HSM (default: every HSM with a completed backup ceremony)')
    .option('--limit <n>', 'read at most n completed ceremonies of each kind per HSM (1-1000)', positiveCount, 100)
    .action(async (opts: { hsm?: string; limit: number }) => {
      if (opts.hsm !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(opts.hsm))
        throw new CeremonyRefusal(`--hsm: "${opts.hsm}" is not an HSM name`);
      ctx.print(
        await ctx.withClient((c) => readAllBackupProofs(c.client, c.taskQueue, opts.hsm, opts.limit)),
        formatBackupProofs,
      );
    });

  program
    .command('resolve <id>')
    .description('after a failed step: retry it, or abort the ceremony (operators only)')
    .addOption(new Option('--action <action>', 'what to do').choices(['retry', 'abort']).makeOptionMandatory())
    .requiredOption('--as <email>', 'the operator')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .addOption(keyOption('resolve'))
    .action(async (id: string, opts: { action: 'retry' | 'abort'; as: string; reason: string; key: string }) => {
      const key = signer(opts.key);
      const r = await ctx.withClient((c) =>
        c.resolve(id, { action: opts.action, by: opts.as, reason: opts.reason }, key),
      );
      ctx.print(r, () => formatResolved(id, opts.action));
    });

  program
    .command('cancel <id>')
    .description('cancel a ceremony before its first irreversible step (requester or operator)')
    .requiredOption('--as <email>', 'who cancels')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .addOption(keyOption('cancel'))
    .action(async (id: string, opts: { as: string; reason: string; key: string }) => {
      const key = signer(opts.key);
      const r = await ctx.withClient((c) => c.cancel(id, { by: opts.as, reason: opts.reason }, key));
      ctx.print(r, () => formatCancelled(id));
    });
}
