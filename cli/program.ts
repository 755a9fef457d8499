import { Command, Option } from 'commander';
import { ValidationError } from '../ceremonies/validation';
import { environmentHelp } from '../runtime/environment-docs';
import { registerAuditCommands } from './commands/audit';
import { registerCeremonyCommands } from './commands/ceremony';
import { registerGateCommands } from './commands/gate';
import { registerHsmCommands } from './commands/hsm';
import { registerScheduleCommands } from './commands/schedule';
import { AuditFailed, CeremonyRefusal, cliContext, consoleOut, type Out } from './context';

/** The `ceremony` command. `out` and the returned exit code make it testable in-process. */
export function buildProgram(out: Out = consoleOut): Command {
  const program = new Command('ceremony')
    .description('Run HSM key ceremonies (Thales Luna 7 on Azure Dedicated HSM) as durable Temporal workflows.')
    .option('--json', 'print machine-readable JSON')
    .addOption(
      new Option('--inventory <file>', 'inventory YAML (HSMs, approver groups, operators)')
        .env('CEREMONY_INVENTORY')
        .default('config/inventory.yaml'),
    )
    .addHelpText(
      'after',
      `
${environmentHelp()}

Example:
  ceremony start rehearsal --hsm hsm-weu-1 --ticket jira:OPS-1 --requester dave@example.com
  ceremony status ceremony-jira-OPS-1
  ceremony approve ceremony-jira-OPS-1 --gate approve --digest <first 12+ hex digits> --as alice@example.com --key alice.pem`,
    )
    .showHelpAfterError('(run with --help for usage)')
    // set before the subcommands are added, so they inherit it
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.log(s.trimEnd()), writeErr: (s) => out.error(s.trimEnd()) });

  const ctx = cliContext(program, out);
  registerCeremonyCommands(program, ctx);
  registerGateCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerScheduleCommands(program, ctx);
  registerHsmCommands(program, ctx);
  return program;
}

/** Run the CLI; returns the exit code. Refusals and bad input are one readable line, not a stack. */
export async function runCli(argv: string[], out?: Out): Promise<number> {
  const errOut = out ?? consoleOut;
  const program = buildProgram(errOut);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (
      err &&
      typeof err === 'object' &&
      'exitCode' in err &&
      'code' in err &&
      String((err as { code: string }).code).startsWith('commander.')
    ) {
      return (err as { exitCode: number }).exitCode;
    }
    if (err instanceof AuditFailed) {
      if (err.message) errOut.error(err.message);
    } else if (err instanceof CeremonyRefusal) errOut.error(`refused: ${err.message}`);
    else if (err instanceof ValidationError) errOut.error(err.message);
    else errOut.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
