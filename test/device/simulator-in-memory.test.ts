import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LunaShell } from '../../activities/device/luna-shell';
import { startAppliance, type RunningAppliance } from '../../simulator/appliance-server';
import { AUDIT_ENTRIES_KEPT } from '../../simulator/audit-log';

// An appliance whose state is kept in memory (the benchmarks' device processes) answers over SSH
// as one on file does, writes its state.json only on close, and keeps a bounded audit log.

const PASSWORD = 'In-Memory-Admin-1';
let appliance: RunningAppliance;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-memory-'));
  appliance = await startAppliance({ name: 'hsm-mem-1', dir, stateInMemory: true });
  appliance.state.update((s) => {
    s.users.tenantadmin = { ...s.users.tenantadmin, password: PASSWORD, mustChangePassword: false };
    s.audit = Array.from({ length: AUDIT_ENTRIES_KEPT }, (_, i) => ({
      at: new Date().toISOString(),
      user: 'tenantadmin',
      command: `partition show -partition old${i}`,
      result: 0,
    }));
  });
});
afterAll(async () => {
  await appliance.close();
});

test('commands change the state in memory, the audit log stays bounded, state.json comes on close', async () => {
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port: appliance.port, hostKeyFingerprint: appliance.fingerprint },
    'tenantadmin',
    { password: PASSWORD },
  );
  try {
    await shell.run('hsm show');
    await shell.run('syslog remotehost add -host 10.0.0.9 -port 514 -protocol udp');
    const tail = (await shell.run('syslog tail -logname messages -entries 2')).output;
    expect(tail).toMatch(/Command: hsm show .*\n.*Command: syslog remotehost add -host 10\.0\.0\.9/);
  } finally {
    shell.close();
  }
  const state = appliance.state.read();
  expect(state.syslogHosts).toEqual([{ host: '10.0.0.9', port: 514, protocol: 'udp' }]);
  expect(state.audit).toHaveLength(AUDIT_ENTRIES_KEPT);
  expect(state.audit.slice(-3).map((a) => a.command)).toEqual([
    'hsm show',
    'syslog remotehost add -host 10.0.0.9 -port 514 -protocol udp',
    'syslog tail -logname messages -entries 2',
  ]);
  expect(state.audit[0].command).toBe('partition show -partition old3');
  expect(existsSync(join(dir, 'state.json'))).toBe(false);

  await appliance.close();
  const written = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  expect(written.syslogHosts).toEqual([{ host: '10.0.0.9', port: 514, protocol: 'udp' }]);
  expect(written.audit).toHaveLength(AUDIT_ENTRIES_KEPT);
});
