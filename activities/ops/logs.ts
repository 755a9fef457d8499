import { createHash } from 'node:crypto';
import { readAuditLogs } from '../device/queries';
import type { DeviceAccess } from '../device/device-access';
import { defineOperation } from './operation';

// Before a zeroize, what the appliance keeps that an auditor wants goes into the ceremony's
// history: the system log (`messages`), the lunash command log (`lunalogs`: "every administrative
// command executed within the secure Luna shell", Thales' syslog guide), both read with the
// documented `syslog tail -logname <log> -entries <n>`, and the HSM audit log, which only the
// appliance's audit user reads (`audit log list`, `audit log tail`). Each output is scrubbed of
// the HSM's secrets and kept to its last KEEP_CHARS characters in the step's transcript; the
// state records each one's size and sha256.

const KEEP_CHARS = 32 * 1024;
const SECRET_NAMES = ['tenantadmin', 'admin', 'operator', 'monitor', 'audit', 'hsmSo', 'hsmDomain'];

function summary(output: string) {
  return {
    lines: output.split('\n').filter((l) => l.trim() !== '' && !/^Command Result/.test(l)).length,
    chars: output.length,
    sha256: createHash('sha256').update(output).digest('hex'),
  };
}

async function hsmSecrets(d: DeviceAccess): Promise<string[]> {
  const values = await Promise.all(SECRET_NAMES.map((name) => d.storedSecret(name)));
  return values.filter((v): v is string => v !== undefined);
}

export const hsmExportLogs = defineOperation('hsm.exportLogs', {
  async probe(ctx, { entries, auditLogs }) {
    const d = ctx.device();
    const options = { keepChars: KEEP_CHARS, secrets: await hsmSecrets(d) };
    const kept: Record<string, unknown> = {};
    for (const log of ['messages', 'lunalogs']) {
      kept[log] = summary((await d.run(`syslog tail -logname ${log} -entries ${entries}`, options)).output);
    }
    if (auditLogs) {
      const files = await readAuditLogs(d);
      const latest = files[files.length - 1];
      kept.audit = latest
        ? {
            files,
            tail: {
              file: latest.file,
              ...summary(
                (await d.runAs('audit', `audit log tail -file ${latest.file} -entries ${entries}`, options)).output,
              ),
            },
          }
        : { files };
    } else {
      kept.audit = 'not exported: the plan has no audit credential for this HSM';
    }
    return { present: true, state: { entries, keptChars: KEEP_CHARS, ...kept } };
  },
});
