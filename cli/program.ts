import { Command, InvalidArgumentError, Option } from 'commander';
import { BackupSchedules } from '../client/backup-schedules';
import { CeremonyClient, CeremonyRefusal } from '../client/ceremony-client';
import { loadInventory } from '../ceremonies/inventory';
import { CEREMONY_KINDS } from '../ceremonies/plan';
import { parseParamPairs } from '../ceremonies/request';
import { ValidationError } from '../ceremonies/validation';
import { PHASES } from '../workflows/messages';
import { loadConfig } from '../runtime/config';
import { environmentHelp } from '../runtime/environment-docs';
import { formatList, formatPlan, formatStatus, formatTimeline } from './format';
import { hashPassword } from '../runtime/passwords';
import { generateSigningKey, loadSigner } from '../client/decision-signer';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../audit/export';
import { auditEvents, parseHistoryJson } from '../audit/history';
import { reportHtml, reportMarkdown } from '../audit/report';
import { verifyHistories } from '../audit/verify';
import { dataConverterFor } from '../runtime/codec';

function positiveCount(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return Number(value);
}

/** Verification found problems: exit code 1 after the details were printed. */
class AuditFailed extends Error {}

type Out = { log(text: string): void; error(text: string): void };

/** The `ceremony` command. `out` and the returned exit code make it testable in-process. */
export function buildProgram(out: Out = { log: (t) => console.log(t), error: (t) => console.error(t) }): Command {
  const program = new Command('ceremony')
    .description('Run HSM key ceremonies (Thales Luna 7 on Azure Dedicated HSM) as durable Temporal workflows.')
    .option('--json', 'print machine-readable JSON')
    .addOption(new Option('--inventory <file>', 'inventory YAML (HSMs, approver groups, operators)').env('CEREMONY_INVENTORY').default('config/inventory.yaml'))
    .addHelpText(
      'after',
      `
${environmentHelp()}

Example:
  ceremony start rehearsal --hsm hsm-weu-1 --ticket jira:OPS-1 --requester dave@example.com
  ceremony status ceremony-jira-OPS-1
  ceremony approve ceremony-jira-OPS-1 --gate approve --digest <first 12+ hex digits> --as alice@example.com`,
    )
    .showHelpAfterError('(run with --help for usage)')
    // set before the subcommands are added, so they inherit it
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.log(s.trimEnd()), writeErr: (s) => out.error(s.trimEnd()) });

  const json = () => Boolean(program.opts().json);
  const print = (value: unknown, human: (v: never) => string) => out.log(json() ? JSON.stringify(value, null, 2) : human(value as never));

  async function withClient<T>(fn: (c: CeremonyClient) => Promise<T>): Promise<T> {
    const config = loadConfig();
    let connected;
    try {
      connected = await CeremonyClient.connect(config);
    } catch (err) {
      throw new CeremonyRefusal(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS} (${(err as Error).message}); is \`npm start\` running?`);
    }
    try {
      return await fn(connected.ceremonies);
    } finally {
      await connected.connection.close();
    }
  }

  /** Approvers name the digest of the plan they read: in full, or its first 12+ hex digits. */
  async function fullDigest(c: CeremonyClient, id: string, given: string): Promise<string> {
    if (!/^[0-9a-f]{12,64}$/.test(given)) throw new CeremonyRefusal('--digest: expected the plan digest (at least its first 12 hex digits), as `ceremony status` shows it');
    if (given.length === 64) return given;
    const { planDigest } = await c.plan(id);
    if (!planDigest.startsWith(given)) {
      throw new CeremonyRefusal(`plan digest mismatch: you named ${given}…, the ceremony runs plan ${planDigest.slice(0, 12)}…; read the plan again with \`ceremony plan ${id}\``);
    }
    return planDigest;
  }

  program
    .command('start')
    .description('build the plan for a ceremony and start it; the same ticket never starts two ceremonies')
    .argument('<kind>', `ceremony kind: ${CEREMONY_KINDS.join(', ')}`)
    .requiredOption('--hsm <ref>', 'target HSM, as named in the inventory')
    .requiredOption('--ticket <ref>', 'change ticket, e.g. jira:OPS-1234 (the ceremony id derives from it)')
    .requiredOption('--requester <email>', 'who asks for the ceremony (can never approve it)')
    .option('--param <key=value>', 'ceremony parameter (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (kind: string, opts: { hsm: string; ticket: string; requester: string; param: string[] }) => {
      const inventory = loadInventory(program.opts().inventory);
      const request = { kind: kind as never, hsm: opts.hsm, ticket: opts.ticket, requester: opts.requester, params: parseParamPairs(opts.param) };
      const started = await withClient((c) => c.start(request, inventory));
      print(started, (s: typeof started) =>
        s.existing
          ? `ticket ${opts.ticket} already has ceremony ${s.ceremonyId} running; nothing new was started` +
            (s.runningPlanDigest !== s.planDigest ? `\nnote: it runs plan ${s.runningPlanDigest}, not the plan this request would build (${s.planDigest})` : '')
          : `started ${s.ceremonyId}\nplan digest ${s.planDigest}\nfollow it with: ceremony status ${s.ceremonyId}`,
      );
    });

  program
    .command('status <id>')
    .description('phase, current step, approvals so far and each step\'s outcome')
    .action(async (id: string) => print(await withClient((c) => c.status(id)), formatStatus));

  program
    .command('timeline <id>')
    .description('every event of the ceremony, in order, with its actor')
    .action(async (id: string) => print(await withClient((c) => c.timeline(id)), formatTimeline));

  program
    .command('plan <id>')
    .description('the exact plan the ceremony runs, and its digest')
    .action(async (id: string) => {
      const { plan, planDigest } = await withClient((c) => c.plan(id));
      print({ plan, planDigest }, () => formatPlan(plan, planDigest));
    });

  program
    .command('list')
    .description('ceremonies known to Temporal, newest first')
    .option('--kind <kind>', 'only this ceremony kind')
    .option('--hsm <ref>', 'only this HSM')
    .addOption(new Option('--phase <phase>', 'only this phase').choices([...PHASES]))
    .option('--limit <n>', 'at most n rows (1-1000)', positiveCount, 50)
    .action(async (opts: { kind?: string; hsm?: string; phase?: string; limit: number }) => {
      print(await withClient((c) => c.list(opts)), formatList);
    });

  const gateCommand = (name: string, description: string) =>
    program
      .command(`${name} <id>`)
      .description(description)
      .requiredOption('--gate <step>', 'the gate step id (ceremony status shows the open gate)')
      .requiredOption('--as <email>', 'who decides')
      .requiredOption('--digest <sha256>', 'digest of the plan you read (at least its first 12 hex digits)')
      .addOption(
        new Option('--key <file>', 'your Ed25519 private key (PEM, from `ceremony keygen`), or a reference env:NAME / file:/path; the decision is signed with it')
          .env('CEREMONY_SIGNING_KEY')
          .makeOptionMandatory(),
      );
  type Decide = { gate: string; as: string; digest: string; key: string };
  const signer = (opts: Decide) => {
    try {
      return loadSigner(opts.key);
    } catch (err) {
      throw new CeremonyRefusal(`--key: ${(err as Error).message}`);
    }
  };

  gateCommand('approve', 'approve the open gate of a ceremony, signed with your key')
    .option('--comment <text>', 'a note kept in the audit trail')
    .action(async (id: string, opts: Decide & { comment?: string }) => {
      const key = signer(opts);
      const view = await withClient(async (c) => c.approve(id, { gate: opts.gate, approver: opts.as, planDigest: await fullDigest(c, id, opts.digest), comment: opts.comment }, key));
      print(view, (v: typeof view) => `approved: gate ${v.gate} has ${v.approvals} of ${v.quorum}${v.approvals >= v.quorum ? ' (quorum reached)' : ''}`);
    });

  gateCommand('reject', 'reject (veto) the open gate, signed with your key: the ceremony ends as rejected')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .action(async (id: string, opts: Decide & { reason: string }) => {
      const key = signer(opts);
      const view = await withClient(async (c) => c.reject(id, { gate: opts.gate, approver: opts.as, planDigest: await fullDigest(c, id, opts.digest), reason: opts.reason }, key));
      print(view, () => `rejected: ceremony ${id} ends as rejected`);
    });

  gateCommand('signoff', 'record an external sign-off (e.g. Microsoft\'s reference number) for a sign-off gate, signed with your key')
    .requiredOption('--reference <text>', 'the signer\'s reference, e.g. a support case number')
    .action(async (id: string, opts: Decide & { reference: string }) => {
      const key = signer(opts);
      const view = await withClient(async (c) => c.signoff(id, { gate: opts.gate, by: opts.as, planDigest: await fullDigest(c, id, opts.digest), reference: opts.reference }, key));
      print(view, () => `signed off: gate ${view.gate}`);
    });

  program
    .command('keygen')
    .description('make an Ed25519 key pair for signing decisions: the private key goes to --out (mode 600), the public key is printed for the inventory\'s signingKeys')
    .requiredOption('-o, --out <file>', 'where to write the private key (PEM); refuses to overwrite')
    .option('--for <email>', 'whose key it is (printed as an inventory line)')
    .action(async (opts: { out: string; for?: string }) => {
      if (existsSync(opts.out)) throw new CeremonyRefusal(`${opts.out} exists; choose another file (keys are never overwritten)`);
      const { privatePem, publicKey } = generateSigningKey();
      writeFileSync(opts.out, privatePem, { mode: 0o600, flag: 'wx' });
      print({ publicKey, privateKeyFile: opts.out }, () =>
        [`private key written to ${opts.out} (keep it to yourself)`, 'add the public key to the inventory:', 'signingKeys:', `  ${opts.for ?? '<your email>'}: ["${publicKey}"]`].join('\n'),
      );
    });

  program
    .command('resolve <id>')
    .description('after a failed step: retry it, or abort the ceremony (operators only)')
    .addOption(new Option('--action <action>', 'what to do').choices(['retry', 'abort']).makeOptionMandatory())
    .requiredOption('--as <email>', 'the operator')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .action(async (id: string, opts: { action: 'retry' | 'abort'; as: string; reason: string }) => {
      const r = await withClient((c) => c.resolve(id, { action: opts.action, by: opts.as, reason: opts.reason }));
      print(r, () => `${opts.action} accepted for ${id}`);
    });

  program
    .command('cancel <id>')
    .description('cancel a ceremony before its first irreversible step (requester or operator)')
    .requiredOption('--as <email>', 'who cancels')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .action(async (id: string, opts: { as: string; reason: string }) => {
      const r = await withClient((c) => c.cancel(id, { by: opts.as, reason: opts.reason }));
      print(r, () => `cancellation accepted for ${id}`);
    });

  program
    .command('hash-password')
    .description('read a password on stdin and print the hash for inventory operatorLogins.<email>.passwordHash')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      if (password.length < 12) throw new CeremonyRefusal('use at least 12 characters');
      out.log(hashPassword(password));
    });

  /** What export, verify and report take from the environment: where histories come from and
   * the payload codec (decryption), the same as the worker's. */
  const auditSettings = () => {
    const config = loadConfig();
    return { server: `${config.TEMPORAL_ADDRESS}/${config.TEMPORAL_NAMESPACE}`, payloadKeys: config.CEREMONY_PAYLOAD_KEYS, codec: dataConverterFor(config.CEREMONY_PAYLOAD_KEYS)?.payloadCodecs?.[0] };
  };
  const verifyOptions = (publicKey: string | undefined) => ({
    publicKeyPem: publicKey ? readFileSync(publicKey, 'utf8') : undefined,
    workflowBundlePath: process.env.CEREMONY_WORKFLOW_BUNDLE,
    payloadKeys: auditSettings().payloadKeys,
  });

  const audit = program.command('audit').description("prove from a ceremony's history what ran: export, verify (replay + invariants), report");
  // the SDK's logs (core's go to stdout by default) must not mix into --json or a report on stdout
  audit
    .command('export <id>')
    .description('write the full history (temporal workflow show --output json format) and its manifest')
    .requiredOption('-o, --output <file>', 'history file (.json); the manifest goes beside it')
    .addOption(new Option('--signing-key <pem>', 'Ed25519 private key to sign the manifest').env('CEREMONY_AUDIT_SIGNING_KEY_FILE'))
    .action(async (id: string, opts: { output: string; signingKey?: string }) => {
      const { server, codec } = auditSettings();
      const manifest = await withClient((c) => exportCeremony(c, id, opts.output, { server, signingKeyFile: opts.signingKey, codec }));
      print(manifest, () =>
        [
          `exported ${id} to ${opts.output} (sha256 ${manifest.historySha256.slice(0, 16)}…${manifest.signature ? ', signed' : ''})`,
          ...(manifest.closeEvent === 'running' ? [`note: ${id} is still running: this history is incomplete and will not verify; export it again once it has ended`] : []),
        ].join('\n'),
      );
    });
  audit
    .command('verify <paths...>')
    .description('replay each exported history with the current code (no server) and check its invariants; exit 0 only if all hold')
    .addOption(new Option('--public-key <pem>', 'Ed25519 public key that signed the manifests').env('CEREMONY_AUDIT_PUBLIC_KEY_FILE'))
    .action(async (paths: string[], opts: { publicKey?: string }) => {
      const results = await verifyHistories(paths, verifyOptions(opts.publicKey));
      print(results, () =>
        results
          .map((r) =>
            [
              `${r.ok ? 'OK  ' : 'FAIL'} ${r.file}${r.ceremonyId ? ` (${r.ceremonyId})` : ''}`,
              ...r.problems.map((p) => `     ${p}`),
              ...r.violations.map((v) => `     ${v.invariant} at events ${v.eventIds.join(', ')}: ${v.detail}`),
              ...r.notes.map((n) => `     note: ${n}`),
            ].join('\n'),
          )
          .join('\n'),
      );
      if (results.some((r) => !r.ok)) throw new AuditFailed(`${results.filter((r) => !r.ok).length} of ${results.length} histories failed verification`);
    });
  audit
    .command('report <idOrFile>')
    .description('a readable report: request, plan and digest, approvals, device commands, interventions, verdict')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html']).default('md'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addOption(new Option('--public-key <pem>', 'Ed25519 public key that signed the manifest').env('CEREMONY_AUDIT_PUBLIC_KEY_FILE'))
    .action(async (target: string, opts: { format: 'md' | 'html'; output?: string; publicKey?: string }) => {
      const { server, codec } = auditSettings();
      let file = target;
      if (!existsSync(target)) {
        file = join(mkdtempSync(join(tmpdir(), 'audit-')), `${target}.json`);
        await withClient((c) => exportCeremony(c, target, file, { server, codec }));
      }
      const [verdict] = await verifyHistories([file], verifyOptions(opts.publicKey));
      const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))), codec);
      const text = opts.format === 'html' ? reportHtml(events, verdict) : reportMarkdown(events, verdict);
      if (opts.output) {
        writeFileSync(opts.output, text);
        out.log(`report written to ${opts.output}`);
      } else out.log(text);
    });

  const schedule = program.command('schedule').description('periodic ceremonies (Temporal Schedules): backups');
  const schedules = <T>(fn: (s: BackupSchedules) => Promise<T>) => withClient((c) => fn(new BackupSchedules(c)));
  schedule
    .command('backup')
    .description('back partitions up every interval; each run is a backup ceremony built now')
    .requiredOption('--hsm <ref>', 'HSM, as named in the inventory')
    .requiredOption('--partitions <names>', 'comma-separated partition names')
    .requiredOption('--every <duration>', 'interval, e.g. 24h or 7d')
    .requiredOption('--requester <email>', 'who asks for the schedule')
    .option('--standing-approval <id>', 'pre-approval (inventory standingApprovals) covering every run; without it each run waits at its gate')
    .action(async (opts: { hsm: string; partitions: string; every: string; requester: string; standingApproval?: string }) => {
      const inventory = loadInventory(program.opts().inventory);
      const partitions = opts.partitions.split(',').map((p) => p.trim()).filter(Boolean);
      const created = await schedules((s) => s.create({ hsm: opts.hsm, partitions, every: opts.every, requester: opts.requester, standingApproval: opts.standingApproval }, inventory));
      print(created, () => `schedule ${created.scheduleId} created: backs up ${partitions.join(', ')} of ${opts.hsm} every ${opts.every}\nplan digest ${created.planDigest}`);
    });
  schedule
    .command('list')
    .description('backup schedules, paused or not, with their recent runs')
    .action(async () => {
      const rows = await schedules((s) => s.list());
      print(rows, () =>
        rows.length === 0
          ? 'no schedules'
          : rows.map((r) => `${r.scheduleId}  every ${r.every ?? '?'}  ${r.paused ? 'PAUSED' : 'active'}  next ${r.nextRun ?? '-'}${r.note ? `  (${r.note})` : ''}`).join('\n'),
      );
    });
  schedule
    .command('show <id>')
    .description('one schedule and the ceremonies it started')
    .action(async (id: string) => {
      const d = await schedules((s) => s.describe(id));
      print(d, () => [`${d.scheduleId}  every ${d.every ?? '?'}  ${d.paused ? 'PAUSED' : 'active'}  next ${d.nextRun ?? '-'}`, ...(d.note ? [`  ${d.note}`] : []), ...d.recentRuns.map((r) => `  ${r.at}  ${r.ceremonyId}`)].join('\n'));
    });
  for (const [name, description] of [
    ['pause', 'stop starting new runs'],
    ['unpause', 'start runs again'],
  ] as const) {
    schedule
      .command(`${name} <id>`)
      .description(description)
      .requiredOption('--reason <text>', 'kept as the schedule note')
      .action(async (id: string, opts: { reason: string }) => {
        await schedules((s) => s[name](id, opts.reason));
        print({ scheduleId: id, [name === 'pause' ? 'paused' : 'unpaused']: true }, () => `${id} ${name}d`);
      });
  }
  schedule
    .command('trigger <id>')
    .description('start a run now')
    .action(async (id: string) => {
      await schedules((s) => s.trigger(id));
      print({ scheduleId: id, triggered: true }, () => `${id} triggered`);
    });
  schedule
    .command('delete <id>')
    .description('delete the schedule (runs already started go on)')
    .action(async (id: string) => {
      await schedules((s) => s.delete(id));
      print({ scheduleId: id, deleted: true }, () => `${id} deleted`);
    });

  return program;
}

/** Run the CLI; returns the exit code. Refusals and bad input are one readable line, not a stack. */
export async function runCli(argv: string[], out?: Out): Promise<number> {
  const errOut = out ?? { log: (t: string) => console.log(t), error: (t: string) => console.error(t) };
  const program = buildProgram(errOut);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err && typeof err === 'object' && 'exitCode' in err && 'code' in err && String((err as { code: string }).code).startsWith('commander.')) {
      return (err as { exitCode: number }).exitCode;
    }
    if (err instanceof AuditFailed) errOut.error(err.message);
    else if (err instanceof CeremonyRefusal) errOut.error(`refused: ${err.message}`);
    else if (err instanceof ValidationError) errOut.error(err.message);
    else errOut.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
