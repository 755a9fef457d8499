import type { ApplianceState } from '../state';
import { CRLF } from './output';
import { LunaError, type CommandContext } from './shell';

/** A secret asked twice, as `hsm init` asks its password and domain (also `audit init`'s). */
export async function readSecretTwice(c: CommandContext<ApplianceState>, what: string, confirmText: string): Promise<string> {
  const first = await c.io.ask(`${CRLF}Please enter ${what}:${CRLF}> `, { echo: false });
  const second = await c.io.ask(`${CRLF}Please re-enter ${confirmText} to confirm:${CRLF}> `, { echo: false });
  if (first !== second) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'The values do not match.');
  if (first.length < 7) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'The value must be at least 7 characters long.');
  return first;
}
