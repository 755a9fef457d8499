import type { ApplianceState } from '../state';
import { CRLF } from './output';
import { LunaError, type CommandContext } from './shell';

// The questions lunash asks before it acts, and its answer to a refused one, shared by its commands.

export const aborted = () => new LunaError('C0000001', 'RC_GENERAL_ERROR', 'Command aborted.'); // inferred

/** Style B confirmation ("WARNING !! ..."), as hsm restart and sysconf regenCert print it (the
 * CloudHSM 5.x capture of `sysconf regenCert`). */
export function warning(text: string): string {
  return `WARNING !!  ${text}${CRLF}If you are sure that you wish to proceed, then type 'proceed', otherwise type 'quit'${CRLF}> `;
}

/** A secret asked twice, as `hsm init` asks its password and domain (also `audit init`'s). */
export async function readSecretTwice(
  c: CommandContext<ApplianceState>,
  what: string,
  confirmText: string,
): Promise<string> {
  const first = await c.io.ask(`${CRLF}Please enter ${what}:${CRLF}> `, { echo: false });
  const second = await c.io.ask(`${CRLF}Please re-enter ${confirmText} to confirm:${CRLF}> `, { echo: false });
  if (first !== second) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'The values do not match.');
  if (first.length < 7)
    throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'The value must be at least 7 characters long.');
  return first;
}
