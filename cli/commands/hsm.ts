import { type Command, InvalidArgumentError } from 'commander';
import { keyVaultSettings } from '../../activities/azure/key-vault';
import { formatExpiries, needsAttention, readCertificateExpiries, unitsToCheck } from '../../activities/ntls-expiry';
import { loadConfig } from '../../runtime/config';
import { AuditFailed, CeremonyRefusal, type CliContext } from '../context';

function days(value: string): number {
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 3650)
    throw new InvalidArgumentError('expected a whole number of days from 1 to 3650');
  return Number(value);
}

/** Read-only checks of the appliances themselves (no ceremony, no Temporal): run where the
 * worker's secret references resolve (its environment, its Key Vault). */
export function registerHsmCommands(program: Command, ctx: CliContext): void {
  const hsm = program.command('hsm').description("read-only checks of the inventory's appliances");
  hsm
    .command('cert-expiry')
    .description(
      "each unit's NTLS server certificate (server.pem, fetched with scp) and its expiry date; exit code 1 when one expires within the warning window or cannot be read",
    )
    .option('--hsm <ref>', 'only this HSM (default: every HSM of the inventory)')
    .option('--warn-days <n>', 'warn when a certificate expires within this many days', days, 30)
    .action(async (opts: { hsm?: string; warnDays: number }) => {
      const inventory = ctx.inventory();
      let units: string[];
      try {
        units = unitsToCheck(inventory, opts.hsm);
      } catch (err) {
        throw new CeremonyRefusal(`--hsm: ${(err as Error).message}`);
      }
      const expiries = await readCertificateExpiries(inventory, units, {
        env: process.env,
        keyVault: keyVaultSettings(loadConfig()),
      });
      ctx.print({ warnDays: opts.warnDays, certificates: expiries }, (v) => formatExpiries(v.certificates, v.warnDays));
      if (expiries.some((e) => needsAttention(e, opts.warnDays))) throw new AuditFailed();
    });
}
