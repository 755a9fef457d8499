/** A device's command log entry, as `syslog tail` and `audit log tail` print it. */
export interface AuditEntry {
  at: string;
  user: string;
  command: string;
  result: number;
}

/** Entries a simulated device keeps: a long-running simulator's state stays small (a real
 * appliance rotates its logs), yet holds as many as any reader asks for (`hsm.exportLogs` tails
 * at most 2000 entries of each log, 500 by default). */
export const AUDIT_ENTRIES_KEPT = 2000;

/** Append, dropping the oldest entries beyond {@link AUDIT_ENTRIES_KEPT}. */
export function appendAudit(log: AuditEntry[], entry: AuditEntry): void {
  log.push(entry);
  if (log.length > AUDIT_ENTRIES_KEPT) log.splice(0, log.length - AUDIT_ENTRIES_KEPT);
}
