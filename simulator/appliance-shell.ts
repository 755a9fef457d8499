import { join } from 'node:path';
import { appendAudit } from './audit-log';
import { FaultFile } from './faults';
import { LUNASH, PASSWORD_RULES, readNewUserPassword } from './lunash/commands';
import { CRLF, PROMPT } from './lunash/output';
import { CommandShell } from './lunash/shell';
import type { ShellDefinition, Terminal } from './shell-session';
import { ApplianceStateSchema, StateFile, type ApplianceState, type StateFileOptions } from './state';

// The appliance's lunash login session, whatever carries it: the ssh2 simulator
// (`appliance-server.ts`) and OpenSSH's sshd running `lunash/pty-main.ts` share it.

export function applianceStore(dir: string, options: StateFileOptions = {}): StateFile<ApplianceState> {
  return new StateFile(join(dir, 'state.json'), ApplianceStateSchema, options);
}

export function applianceFaults(dir: string): FaultFile {
  return new FaultFile(join(dir, 'faults.json'));
}

/** The reboot is over (or an operator power-cycled a hung one): installed software now runs. */
export function finishReboot(store: StateFile<ApplianceState>): void {
  store.update((s) => {
    s.reboot = null;
    if (s.pendingSoftware) {
      s.softwareVersion = s.pendingSoftware;
      s.pendingSoftware = null;
    }
  });
}

/** True while the appliance is rebooting (or hung until a power cycle); a reboot whose time is
 * over is finished here. */
export function applianceRebooting(store: StateFile<ApplianceState>): boolean {
  const reboot = store.read().reboot;
  if (!reboot) return false;
  if (reboot.until !== null && Date.parse(reboot.until) <= Date.now()) {
    finishReboot(store);
    return false;
  }
  return true;
}

/** Azure's first login: the factory password must be changed before the shell starts (as
 * captured on a 7.2 Azure unit). */
async function forcedPasswordChange(
  store: StateFile<ApplianceState>,
  terminal: Terminal,
  user: string,
): Promise<boolean> {
  const account = store.read().users[user];
  if (!account?.mustChangePassword) return true;
  const ask = terminal.ask?.bind(terminal);
  if (!ask) return false;
  const box = [
    '*****************************************************',
    '**                                                 **',
    '**   For security purposes, you must change your   **',
    '**   password.                                     **',
    '**                                                 **',
    '**   Please ensure you store your new password     **',
    '**   in a secure location.                         **',
    '**                                                 **',
    '**               DO NOT LOSE IT!                   **',
    '**                                                 **',
    '*****************************************************',
  ];
  terminal.write(`${box.join(CRLF)}${CRLF}${CRLF}Changing password for user ${user}.${CRLF}${CRLF}${PASSWORD_RULES}`);
  const { password, problem } = await readNewUserPassword((prompt) => ask(prompt, false));
  if (!password || password === account.password) {
    terminal.write(
      `${problem ?? 'BAD PASSWORD: The password is the same as the old one'}${CRLF}passwd: Authentication token manipulation error${CRLF}`,
    );
    return false;
  }
  await store.transaction((s) => {
    s.users[user].password = password;
    s.users[user].mustChangePassword = false;
    appendAudit(s.audit, { at: new Date().toISOString(), user, command: '(first login password change)', result: 0 });
  });
  terminal.write(
    `passwd: all authentication tokens updated successfully.${CRLF}Password change successful.${CRLF}${CRLF}`,
  );
  return true;
}

/** lunash as a logged-in user sees it: banner, forced first-login password change, prompt,
 * commands (`lunash/commands.ts`) on the appliance's state file. */
export function applianceShell(store: StateFile<ApplianceState>, faults: FaultFile): ShellDefinition {
  return {
    banner: () =>
      `Last login: ${new Date().toUTCString()} from 127.0.0.1${CRLF}${CRLF}Luna Network HSM Command Line Shell v${store.read().softwareVersion}. Copyright (c) 2023 Thales Group. All rights reserved.${CRLF}${CRLF}${CRLF}`,
    prompt: () => `[${store.read().name}] ${PROMPT}`,
    beforePrompt: (terminal, user) => forcedPasswordChange(store, terminal, user),
    execRefusal: (user) =>
      store.read().users[user]?.mustChangePassword
        ? 'You are required to change your password: log in interactively first.'
        : undefined,
    interpreter: (user, io, control) => new CommandShell(store, faults, user, io, control, LUNASH),
  };
}
