import type { TimelineType } from '../contract/timeline';
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { DeviceWarning } from '../contract/activities';
import type { CeremonyState } from './state';

/** The timeline event of a warning a device printed during a step (a battery, the clock): the
 * step's result stands, the warning is there for someone to look at. */
export const DEVICE_WARNING = 'device-warning' satisfies TimelineType;

/** One timeline event per distinct warning line of a device, naming the commands it came with
 * (a warning printed before every command is one event, not one per command). */
export function recordWarnings(
  state: CeremonyState,
  stepId: string,
  warnings: readonly DeviceWarning[] | undefined,
): void {
  const seen = new Map<string, { device: string; line: string; commands: string[] }>();
  for (const w of warnings ?? []) {
    const key = `${w.device}\n${w.line}`;
    const entry = seen.get(key) ?? { device: w.device, line: w.line, commands: [] };
    if (!entry.commands.includes(w.command)) entry.commands.push(w.command);
    seen.set(key, entry);
  }
  for (const { device, line, commands } of seen.values())
    state.record(DEVICE_WARNING, device, `${line} (printed with: ${commands.join(', ')})`, stepId);
}

/** The warnings a failed attempt carried in its failure's details (activities/index.ts). */
export function failureWarnings(err: unknown): DeviceWarning[] {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return [];
  const details = cause.details?.[0] as { warnings?: unknown } | undefined;
  return Array.isArray(details?.warnings)
    ? (details.warnings as DeviceWarning[]).filter((w) => typeof w?.line === 'string' && typeof w.device === 'string')
    : [];
}
