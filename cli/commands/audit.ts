import { type Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCeremony } from '../../audit/tooling/export';
import { auditEvents, parseHistoryJson } from '../../audit/verifier/history';
import { reportHtml, reportMarkdown } from '../../audit/verifier/report';
import { verifyHistories, type VerifyOptions } from '../../audit/tooling/verify';
import { historyFromExport } from '../../audit/verifier/history-shape';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parseByteCount } from '../../audit/verifier/bounds';
import { loadTrustAnchor } from '../../audit/verifier/trust-anchor';
import { dataConverterFor } from '../../runtime/codec';
import { loadConfig } from '../../runtime/config';
import { AuditFailed, type CliContext } from '../context';
import { formatExported, formatReportWritten, formatVerifySummary, verifySummary } from '../format';

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
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number of histories (1 or more)');
  return Number(value);
}

function byteCount(value: string): number {
  const n = parseByteCount(value);
  if (n === undefined) throw new InvalidArgumentError('expected a number of bytes, e.g. 1048576, 512K, 64M or 1G');
  return n;
}

function nestingDepth(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 2)
    throw new InvalidArgumentError('expected a whole number of levels (2 or more)');
  return Number(value);
}

interface VerdictFlags {
  keys?: string;
  maxBytes?: number;
  maxDepth?: number;
  publicKey?: string;
  requireManifest?: boolean;
  requireSignature?: boolean;
  verbose?: boolean;
}

const verifyOptions = (flags: VerdictFlags): VerifyOptions => {
  const { workflowBundlePath, payloadKeys } = auditSettings();
  return {
    publicKeyPem: flags.publicKey ? readFileSync(flags.publicKey, 'utf8') : undefined,
    trustAnchor: flags.keys ? loadTrustAnchor(flags.keys) : undefined,
    maxBytes: flags.maxBytes,
    maxDepth: flags.maxDepth,
    requireManifest: flags.requireManifest,
    requireSignature: flags.requireSignature,
    verbose: flags.verbose,
    workflowBundlePath,
    payloadKeys,
  };
};

/** What verify and report share: which missing parts fail the verdict, and the logs. */
function verdictOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--keys <file>',
        'the signing keys you trust: an inventory (signingKeys, attestationKeys) or a key list ({ revision, signingKeys, attestationKeys }); every decision\'s key must be in it (else: "not proven")',
      ),
    )
    .option(
      '--max-bytes <n>',
      `a history file larger than this is not read (default ${DEFAULT_MAX_BYTES / 1024 / 1024}M)`,
      byteCount,
    )
    .option(
      '--max-depth <n>',
      `a history nested deeper than this is not parsed (default ${DEFAULT_MAX_DEPTH})`,
      nestingDepth,
    )
    .addOption(
      new Option(
        '--public-key <pem>',
        'Ed25519 public key that signed the manifests (then a missing or unsigned manifest fails)',
      ).env('CEREMONY_AUDIT_PUBLIC_KEY_FILE'),
    )
    .option('--require-manifest', 'a history without its manifest fails (else: "integrity not proven: no manifest")')
    .option('--require-signature', 'a manifest without a signature checked with --public-key fails')
    .option('--verbose', "the workflow bundler's and the Temporal SDK's logs to stderr");
}

/** audit export, verify, report. */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description("prove from a ceremony's history what ran: export, verify (replay + invariants), report");
  audit
    .command('export <id>')
    .description('write the full history (temporal workflow show --output json format) and its manifest')
    .requiredOption('-o, --output <file>', 'history file (.json); the manifest goes beside it')
    .addOption(
      new Option('--signing-key <pem>', 'Ed25519 private key to sign the manifest').env(
        'CEREMONY_AUDIT_SIGNING_KEY_FILE',
      ),
    )
    .action(async (id: string, opts: { output: string; signingKey?: string }) => {
      const { server, codec } = auditSettings();
      const manifest = await ctx.withClient((c) =>
        exportCeremony(c, id, opts.output, { server, signingKeyFile: opts.signingKey, codec }),
      );
      ctx.print(manifest, (m) => formatExported(id, opts.output, m));
    });
  verdictOptions(
    audit
      .command('verify <paths...>')
      .description(
        'verify exported histories (ours, `temporal workflow show --output json`, the Web UI download): replay with the current code (no server) and every invariant; prints what held, what failed and what is not proven; exit 0 only if nothing required failed',
      ),
  )
    .option('--no-replay', 'only the checks that read each history (hash, signature, manifest, invariants): no replay')
    .option(
      '--replay-sample <n>',
      'replay only n histories, spread evenly over the folder (the checks still read every one)',
      replaySample,
    )
    .action(async (paths: string[], opts: VerdictFlags & { replay: boolean; replaySample?: number }) => {
      const replay = !opts.replay
        ? ('none' as const)
        : opts.replaySample !== undefined
          ? { sample: opts.replaySample }
          : ('all' as const);
      const results = await verifyHistories(paths, { ...verifyOptions(opts), replay });
      if (results.length === 0) throw new AuditFailed(`no history (*.json) in ${paths.join(', ')}`);
      const summary = verifySummary(results);
      ctx.print(summary, formatVerifySummary);
      if (!summary.ok) throw new AuditFailed(); // the verdict says what failed
    });
  verdictOptions(
    audit
      .command('report <idOrFile>')
      .description('a readable report: request, plan and digest, approvals, device commands, interventions, verdict'),
  )
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'html']).default('md'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (target: string, opts: VerdictFlags & { format: 'md' | 'html'; output?: string }) => {
      const { server, codec } = auditSettings();
      let file = target;
      if (!existsSync(target)) {
        file = join(mkdtempSync(join(tmpdir(), 'audit-')), `${target}.json`);
        await ctx.withClient((c) => exportCeremony(c, target, file, { server, codec }));
      }
      const [verdict] = await verifyHistories([file], verifyOptions(opts));
      // a file the verifier would not parse (too large, too deep, unreadable) gets no report
      if (verdict.kind === undefined) throw new AuditFailed(`${file}: ${verdict.problems.join('; ')}`);
      const events = await auditEvents(
        parseHistoryJson(historyFromExport(JSON.parse(readFileSync(file, 'utf8')))),
        codec,
      );
      const text = opts.format === 'html' ? reportHtml(events, verdict) : reportMarkdown(events, verdict);
      if (opts.output) {
        writeFileSync(opts.output, text);
        ctx.out.log(formatReportWritten(opts.output));
      } else ctx.out.log(text);
    });
}
