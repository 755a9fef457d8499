import type { Answer } from './luna-shell';

// The answers to LunaCM's questions on the backup workstation, matched as the documentation
// prints them (docs/device-output.md lists each form with its source). A question none of these
// fits stops the command unanswered (UnansweredPrompt): nothing is typed on a guess.

/** LunaCM's own password question, `enter password:` (Thales 7.2, `role login`; `Enter password`
 * in other releases), on its own line: whose password it is, the command or the line before says. */
const ENTER_PASSWORD = /(?:^|\n)[ \t]*(?:please )?enter (?:the )?password: $/i;

/** A question line naming an SO that is not a partition's ("Enter password for Partition SO:" is
 * partition init's, never the Backup HSM's). */
const BACKUP_SO_NAMED = /(?:^|\n)(?![^\n]*\bPartition SO\b)[^\n]*\bSO\b[^\n]*: $/;
const BACKUP_SO_LEAD_IN = /^(?!.*\bPartition SO\b).*\bSO\b/;

/** `role login -name <role>`: the role is named by the command ("enter password:", Thales 7.2)
 * or on the question ("Enter password for Crypto Officer:", as partition init names its SO). */
export function roleLoginAnswers(password: string): Answer[] {
  return [{ prompt: /password[^\n]*: $/i, reply: password }];
}

/** `partition archive backup` creating (or replacing) the backup partition: the Backup HSM SO's
 * password, named on the question ("… SO …: ") or on the line before LunaCM's `enter password:`
 * ("Logging in as the SO on slot 0."; guessed), and the cloning domain (perhaps twice, to
 * confirm); `proceed` only when replacing an existing backup partition. */
export function archiveBackupAnswers(secrets: { so: string; domain: string; replacing: boolean }): Answer[] {
  return [
    { prompt: BACKUP_SO_NAMED, reply: secrets.so },
    { prompt: ENTER_PASSWORD, leadIn: BACKUP_SO_LEAD_IN, reply: secrets.so },
    { prompt: /domain[^\n]*: $/i, reply: secrets.domain },
    { prompt: /domain[^\n]*: $/i, reply: secrets.domain },
    ...(secrets.replacing ? [{ prompt: /'proceed'[^\n]*->\s?$/, reply: 'proceed' }] : []),
  ];
}

/** `partition archive delete` of a backup partition: the confirmation (`proceed`, in the form of
 * LunaCM's captured `partition init` question) and the Backup HSM SO's password (the SO "is
 * required to create or modify a backup partition": Thales, Backup HSM 7), named as for a backup.
 * The questions' words and order are guessed; any other question stops the command unanswered. */
export function archiveDeleteAnswers(so: string): Answer[] {
  return [
    { prompt: /'proceed'[^\n]*->\s?$/, reply: 'proceed' },
    { prompt: BACKUP_SO_NAMED, reply: so },
    { prompt: ENTER_PASSWORD, leadIn: BACKUP_SO_LEAD_IN, reply: so },
  ];
}

/** `partition archive restore`: the Backup HSM's SO password, asked as the backup asks it (named
 * on the question, or on the line before LunaCM's `enter password:`; guessed), and the cloning
 * domain if it is asked (the target partition's, which the precheck found to be the backup's). */
export function archiveRestoreAnswers(secrets: { so: string; domain: string }): Answer[] {
  return archiveBackupAnswers({ ...secrets, replacing: false });
}
