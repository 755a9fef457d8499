import { guessedTable } from './lunash/shapes';

// How the simulated LunaCM lays out its questions and its backup list, each written out from its
// source (simulator/SOURCES.md; samples in test/fixtures/lunash/lunacm-*.txt). Nothing here is
// shared with the client: the client answers these questions by what they ask for, matched on its
// own side, and the contract test (test/device/transcript-contract.test.ts) checks both against
// the samples.

/** LunaCM's questions besides its password question (lunacm-commands.ts: `enter password:`, as
 * Thales documents it for `role login`). Their form follows LunaCM's captured `partition init`
 * (`Type 'proceed' to continue, or 'quit' to quit now ->`: Cloudflare docs, Keyless SSL with
 * Azure Dedicated HSM); their words are guessed. */
export const LUNACM_QUESTIONS = {
  /** `partition archive backup`, creating (or replacing) the backup partition */
  backupDomain: 'Enter the cloning domain for the backup partition: ',
  proceed: "Type 'proceed' to continue, or 'quit' to quit now ->",
};

/** `partition archive list` (guessed: no documentation or capture of its output was found). It
 * shows only what Thales' `partition archive backup` page says a backup partition has: its name
 * (the command's `-partition`) and its objects (a domain mismatch "creates an empty backup
 * partition"). A header, a rule of dashes under each column as wide as its widest cell, three
 * spaces between the columns, the count right-aligned. */
export function archiveList(backups: { label: string; objects: number }[]): string[] {
  if (backups.length === 0) return ['   No backup partitions.'];
  return guessedTable(
    ['Partition Name', 'Objects'],
    backups.map((b) => [b.label, String(b.objects)]),
    [false, true],
  );
}

/** What `partition archive restore` prints once every object is restored (guessed: no page or
 * capture shows it; written as the simulated backup writes its own, object by object). */
export function restoreOutput(label: string, handles: number[], slot: number): string[] {
  return [
    '',
    `  Restoring objects from backup partition ${label}...`,
    ...handles.map((h, i) => `  Cloned object ${h} to the partition in slot ${slot} (new handle ${300 + i}).`),
    '',
    '  Restore Complete.',
    '',
    `  ${handles.length} objects have been restored to the partition in slot ${slot}.`,
  ];
}

/** What `partition clear` prints (guessed). */
export function partitionClearOutput(objects: number): string[] {
  return ['', `  ${objects} objects have been deleted from the partition.`];
}
