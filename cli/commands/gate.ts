import { type Command, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import type { CeremonyClient } from '../../client/ceremony-client';
import { generateSigningKey, loadSigner } from '../../client/decision-signer';
import { hashPassword } from '../../runtime/passwords';
import { CeremonyRefusal, type CliContext } from '../context';
import { formatApproved, formatKeygen, formatRejected, formatSignedOff } from '../format';

type Decide = { gate: string; as: string; digest: string; key: string };

/** Approvers name the digest of the plan they read: in full, or its first 12+ hex digits. */
async function fullDigest(c: CeremonyClient, id: string, given: string): Promise<string> {
  if (!/^[0-9a-f]{12,64}$/.test(given))
    throw new CeremonyRefusal(
      '--digest: expected the plan digest (at least its first 12 hex digits), as `ceremony status` shows it',
    );
  if (given.length === 64) return given;
  const { planDigest } = await c.plan(id);
  if (!planDigest.startsWith(given)) {
    throw new CeremonyRefusal(
      `plan digest mismatch: you named ${given}…, the ceremony runs plan ${planDigest.slice(0, 12)}…; read the plan again with \`ceremony plan ${id}\``,
    );
  }
  return planDigest;
}

function signer(opts: Decide) {
  try {
    return loadSigner(opts.key);
  } catch (err) {
    throw new CeremonyRefusal(`--key: ${(err as Error).message}`);
  }
}

/** approve, reject, signoff: signed decisions at a gate; keygen and hash-password: the
 * credentials people decide and log in with (both print what goes into the inventory). */
export function registerGateCommands(program: Command, ctx: CliContext): void {
  const gateCommand = (name: string, description: string) =>
    program
      .command(`${name} <id>`)
      .description(description)
      .requiredOption('--gate <step>', 'the gate step id (ceremony status shows the open gate)')
      .requiredOption('--as <email>', 'who decides')
      .requiredOption('--digest <sha256>', 'digest of the plan you read (at least its first 12 hex digits)')
      .addOption(
        new Option(
          '--key <file>',
          'your Ed25519 private key (PEM, from `ceremony keygen`), or a reference env:NAME / file:/path; the decision is signed with it',
        )
          .env('CEREMONY_SIGNING_KEY')
          .makeOptionMandatory(),
      );

  gateCommand('approve', 'approve the open gate of a ceremony, signed with your key')
    .option('--comment <text>', 'a note kept in the audit trail')
    .action(async (id: string, opts: Decide & { comment?: string }) => {
      const key = signer(opts);
      const view = await ctx.withClient(async (c) =>
        c.approve(
          id,
          {
            gate: opts.gate,
            approver: opts.as,
            planDigest: await fullDigest(c, id, opts.digest),
            comment: opts.comment,
          },
          key,
        ),
      );
      ctx.print(view, formatApproved);
    });

  gateCommand('reject', 'reject (veto) the open gate, signed with your key: the ceremony ends as rejected')
    .requiredOption('--reason <text>', 'why; kept in the audit trail')
    .action(async (id: string, opts: Decide & { reason: string }) => {
      const key = signer(opts);
      const view = await ctx.withClient(async (c) =>
        c.reject(
          id,
          { gate: opts.gate, approver: opts.as, planDigest: await fullDigest(c, id, opts.digest), reason: opts.reason },
          key,
        ),
      );
      ctx.print(view, () => formatRejected(id));
    });

  gateCommand(
    'signoff',
    "record an external sign-off (e.g. Microsoft's reference number) for a sign-off gate, signed with your key",
  )
    .requiredOption('--reference <text>', "the signer's reference, e.g. a support case number")
    .action(async (id: string, opts: Decide & { reference: string }) => {
      const key = signer(opts);
      const view = await ctx.withClient(async (c) =>
        c.signoff(
          id,
          { gate: opts.gate, by: opts.as, planDigest: await fullDigest(c, id, opts.digest), reference: opts.reference },
          key,
        ),
      );
      ctx.print(view, formatSignedOff);
    });

  program
    .command('keygen')
    .description(
      "make an Ed25519 key pair for signing decisions: the private key goes to --out (mode 600), the public key is printed for the inventory's signingKeys",
    )
    .requiredOption('-o, --out <file>', 'where to write the private key (PEM); refuses to overwrite')
    .option('--for <email>', 'whose key it is (printed as an inventory line)')
    .action(async (opts: { out: string; for?: string }) => {
      if (existsSync(opts.out))
        throw new CeremonyRefusal(`${opts.out} exists; choose another file (keys are never overwritten)`);
      const { privatePem, publicKey } = generateSigningKey();
      writeFileSync(opts.out, privatePem, { mode: 0o600, flag: 'wx' });
      ctx.print({ publicKey, privateKeyFile: opts.out }, () => formatKeygen(opts.out, opts.for, publicKey));
    });

  program
    .command('hash-password')
    .description('read a password on stdin and print the hash for inventory operatorLogins.<email>.passwordHash')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const password = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (password.length < 12) throw new CeremonyRefusal('use at least 12 characters');
      ctx.out.log(hashPassword(password));
    });
}
