// How the simulated LunaCM lays out its questions and its backup list, each written out from its
// source (simulator/SOURCES.md; samples in test/fixtures/lunash/lunacm-*.txt). Nothing here is
// shared with the client: the client answers these questions by what they ask for, matched on its
// own side, and the contract test (test/device/transcript-contract.test.ts) checks both against
// the samples.

/** LunaCM's questions. Their form follows LunaCM's captured `partition init`
 * (`Enter password for Partition SO: `, and `Type 'proceed' to continue, or 'quit' to quit now ->`:
 * Cloudflare docs, Keyless SSL with Azure Dedicated HSM); their words are guessed. */
export const LUNACM_QUESTIONS = {
  /** `role login -name co`: "Passwords entered at the prompt are masked by asterisks" (Thales'
   * LunaCM reference, role login) */
  rolePassword: (role: string) => `Enter password for ${role}: `,
  /** `partition archive backup`, creating (or replacing) the backup partition */
  backupSoPassword: (slot: number) => `Enter password for the SO of the Backup HSM in slot ${slot}: `,
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
  const rows = backups.map((b) => [b.label, String(b.objects)]);
  const [name, count] = ['Partition Name', 'Objects'].map((title, i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
  return [
    `${'Partition Name'.padEnd(name)}   Objects`,
    `${'-'.repeat(name)}   ${'-'.repeat(count)}`,
    ...rows.map(([label, objects]) => `${label.padEnd(name)}   ${objects.padStart(count)}`),
  ];
}
