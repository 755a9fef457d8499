import { type Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../../audit/export';
import { auditEvents, parseHistoryJson } from '../../audit/history';
import { reportHtml, reportMarkdown } from '../../audit/report';
import { verifyHistories } from '../../audit/verify';
import { dataConverterFor } from '../../runtime/codec';
import { loadConfig } from '../../runtime/config';
import { AuditFailed, type CliContext } from '../context';
import { formatExported, formatReportWritten, formatVerifyFailed, formatVerifyResults } from '../format';

/** What export, verify and report take from the environment: where histories come from and
 * the payload codec (decryption), the same as the worker's. */
function auditSettings() {
  const config = loadConfig();
  return {
    server: `${config.TEMPORAL_ADDRESS}/${config.TEMPORAL_NAMESPACE}`,
    payloadKeys: config.CEREMONY_PAYLOAD_KEYS,
    codec: dataConverterFor(config.CEREMONY_PAYLOAD_KEYS)?.payloadCodecs?.[0],
    workflowBundlePath: config.CEREMONY_WORKFLOW_BUNDLE,
  };
}

function replaySample(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of histories (1 or more)');
  return Number(value);
}

const verifyOptions = (publicKey: string | undefined) => {
  const { workflowBundlePath, payloadKeys } = auditSettings();
  return { publicKeyPem: publicKey ? readFileSync(publicKey, 'utf8') : undefined, workflowBundlePath, payloadKeys };
};

/** audit export, verify, report. */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description("prove from a ceremony's history what ran: export, verify (replay + invariants), report");
  audit
    .command('export <id>')
    .description('write the full history (temporal workflow show --output json format) and its manifest')
    .requiredOption('-o, --output <file>', 'history file (.json); the manifest goes beside it')
    .addOption(new Option('--signing-key <pem>', 'Ed25519 private key to sign the manifest').env('CEREMONY_AUDIT_SIGNING_KEY_FILE'))
    .action(async (id: string, opts: { output: string; signingKey?: string }) => {
      const { server, codec } = auditSettings();
      const manifest = await ctx.withClient((c) => exportCeremony(c, id, opts.output, { server, signingKeyFile: opts.signingKey, codec }));
      ctx.print(manifest, (m) => formatExported(id, opts.output, m));
    });
  audit
    .command('verify <paths...>')
    .description('replay each exported history with the current code (no server) and check its invariants; exit 0 only if all hold')
    .addOption(new Option('--public-key <pem>', 'Ed25519 public key that signed the manifests').env('CEREMONY_AUDIT_PUBLIC_KEY_FILE'))
    .option('--no-replay', 'only the checks that read each history (hash, signature, manifest, invariants): no replay')
    .option('--replay-sample <n>', 'replay only n histories, spread evenly over the folder (the checks still read every one)', replaySample)
    .action(async (paths: string[], opts: { publicKey?: string; replay: boolean; replaySample?: number }) => {
      const replay = !opts.replay ? ('none' as const) : opts.replaySample !== undefined ? { sample: opts.replaySample } : ('all' as const);
      const results = await verifyHistories(paths, { ...verifyOptions(opts.publicKey), replay });
      ctx.print(results, formatVerifyResults);
      if (results.some((r) => !r.ok)) throw new AuditFailed(formatVerifyFailed(results));
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
        await ctx.withClient((c) => exportCeremony(c, target, file, { server, codec }));
      }
      const [verdict] = await verifyHistories([file], verifyOptions(opts.publicKey));
      const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))), codec);
      const text = opts.format === 'html' ? reportHtml(events, verdict) : reportMarkdown(events, verdict);
      if (opts.output) {
        writeFileSync(opts.output, text);
        ctx.out.log(formatReportWritten(opts.output));
      } else ctx.out.log(text);
    });
}
