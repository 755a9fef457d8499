import type { Command } from 'commander';
import { CeremonySchedules } from '../../client/schedules';
import type { CliContext } from '../context';
import { formatSchedule, formatScheduleChanged, formatScheduleCreated, formatScheduleList } from '../format';

/** schedule backup, drill, list, show, pause, unpause, trigger, delete: periodic backups and the
 * restore drills that prove them. */
export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  const schedule = program
    .command('schedule')
    .description('periodic ceremonies (Temporal Schedules): backups and restore drills');
  const schedules = <T>(fn: (s: CeremonySchedules) => Promise<T>) =>
    ctx.withClient((c) => fn(new CeremonySchedules(c)));
  for (const [name, kind, description] of [
    ['backup', 'backup', 'back partitions up every interval; each run is a backup ceremony built now'],
    [
      'drill',
      'restore-drill',
      'restore the newest backup of each partition into a scratch partition every interval, compare and clear it; each run is a restore-drill ceremony built now',
    ],
  ] as const) {
    schedule
      .command(name)
      .description(description)
      .requiredOption('--hsm <ref>', 'HSM, as named in the inventory')
      .requiredOption('--partitions <names>', 'comma-separated partition names')
      .requiredOption('--every <duration>', 'interval, e.g. 24h or 7d')
      .requiredOption('--requester <email>', 'who asks for the schedule')
      .option(
        '--standing-approval <id>',
        'pre-approval (inventory standingApprovals) covering every run; without it each run waits at its gate',
      )
      .action(
        async (opts: {
          hsm: string;
          partitions: string;
          every: string;
          requester: string;
          standingApproval?: string;
        }) => {
          const inventory = ctx.inventory();
          const partitions = opts.partitions
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
          const created = await schedules((s) =>
            s.create(
              {
                kind,
                hsm: opts.hsm,
                partitions,
                every: opts.every,
                requester: opts.requester,
                standingApproval: opts.standingApproval,
              },
              inventory,
            ),
          );
          ctx.print(created, (c) =>
            formatScheduleCreated(c.scheduleId, c.planDigest, { kind, hsm: opts.hsm, partitions, every: opts.every }),
          );
        },
      );
  }
  schedule
    .command('list')
    .description('backup and restore drill schedules, paused or not, with their recent runs')
    .action(async () => ctx.print(await schedules((s) => s.list()), formatScheduleList));
  schedule
    .command('show <id>')
    .description('one schedule and the ceremonies it started')
    .action(async (id: string) => ctx.print(await schedules((s) => s.describe(id)), formatSchedule));
  for (const [name, description, done] of [
    ['pause', 'stop starting new runs', 'paused'],
    ['unpause', 'start runs again', 'unpaused'],
    ['trigger', 'start a run now', 'triggered'],
    ['delete', 'delete the schedule (runs already started go on)', 'deleted'],
  ] as const) {
    const command = schedule.command(`${name} <id>`).description(description);
    if (name === 'pause' || name === 'unpause') command.requiredOption('--reason <text>', 'kept as the schedule note');
    command.action(async (id: string, opts: { reason?: string }) => {
      await schedules((s) => (name === 'pause' || name === 'unpause' ? s[name](id, opts.reason!) : s[name](id)));
      ctx.print({ scheduleId: id, [done]: true }, () => formatScheduleChanged(id, done));
    });
  }
}
