import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseClientShow,
  parseHsmShow,
  parsePartitionList,
  parseSlotList,
} from '../../activities/device/lunash-parser';
import { recordTranscript, refusedCommands } from '../../scripts/record-transcript';
import { parseFixture } from '../support/lunash-fixtures';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

// The operator's recorder (scripts/record-transcript.ts), against the simulator: read-only
// commands only, secrets scrubbed, files the fixture tests read as they are.

let sim: SimulatedHsm;
beforeAll(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim, [{ name: 'payments', objects: 7, assignedToBackup: true }]);
});
afterAll(async () => {
  await sim.close();
});

const appliance = () => ({
  host: '127.0.0.1',
  port: sim.appliance.port,
  user: 'tenantadmin',
  fingerprint: sim.appliance.fingerprint,
  password: SECRETS.TEST_TENANTADMIN_PASSWORD,
});
const read = (dir: string, file: string) => parseFixture(file, readFileSync(join(dir, file), 'utf8'));

test('records each answer as a fixture: source from hsm show, the password and --scrub matches replaced', async () => {
  const out = mkdtempSync(join(tmpdir(), 'record-'));
  const files = await recordTranscript({
    ...appliance(),
    commands: ['hsm show', 'partition list', 'client show -client backup-ws'],
    scrub: ['backup-ws\\S*'],
    out,
    now: new Date('2026-11-29T12:00:00Z'),
  });
  expect(readdirSync(out).sort()).toEqual(['client-show-client.txt', 'hsm-show.txt', 'partition-list.txt']);
  expect(files).toHaveLength(3);

  const show = read(out, 'hsm-show.txt');
  expect(show.source).toBe('recorded from Luna K7, firmware 7.0.3, software 7.4.0-226 on 2026-11-29');
  expect(parseHsmShow(show.output)).toMatchObject({ label: 'HSM1', partitions: [{ name: 'payments' }] });
  expect(parsePartitionList(read(out, 'partition-list.txt').output)).toEqual([
    { serial: '1500000000001', name: 'payments', objects: 7 },
  ]);
  const client = read(out, 'client-show-client.txt');
  expect(client.command).toBe('client show -client ********');
  expect(parseClientShow(client.output, '********')).toEqual(['payments']);
  for (const f of readdirSync(out)) {
    const text = readFileSync(join(out, f), 'utf8');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain('backup-ws');
  }
  // only what was asked (hsm show also names the device)
  expect(sim.appliance.state.read().audit.map((a) => a.command)).toEqual([
    'hsm show',
    'partition list',
    'client show -client backup-ws',
  ]);
});

test('refuses anything that is not read-only, before it connects', async () => {
  expect(
    refusedCommands([
      'hsm show',
      'hsm zeroize',
      'par li',
      'partition create -partition p1',
      'hsm show; hsm zeroize',
      'client show -client a b',
      'partition archive list -slot 0',
    ]),
  ).toEqual([
    'hsm zeroize',
    'par li',
    'partition create -partition p1',
    'hsm show; hsm zeroize',
    'client show -client a b',
  ]);
  const before = sim.appliance.state.read().audit.length;
  await expect(
    recordTranscript({
      ...appliance(),
      commands: ['hsm show', 'hsm zeroize -force'],
      out: mkdtempSync(join(tmpdir(), 'record-')),
    }),
  ).rejects.toThrow('refused (not on the read-only allowlist): "hsm zeroize -force"');
  expect(sim.appliance.state.read().audit.length).toBe(before);
});

test('the command line: LunaCM on the backup workstation, password from the environment', async () => {
  const out = mkdtempSync(join(tmpdir(), 'record-'));
  const main = join(__dirname, '../../dist/scripts/record-transcript.js');
  const args = [
    '127.0.0.1',
    String(sim.backup.port),
    'backup',
    sim.backup.fingerprint,
    '--password-env',
    'BACKUP_PW',
    '--shell',
    'lunacm',
    '--out',
    out,
    '--',
    'slot list',
  ];
  // not execFileSync: the simulator answers from this process
  const run = (argv: string[], password = SECRETS.TEST_BACKUP_PASSWORD) =>
    promisify(execFile)(process.execPath, [main, ...argv], { env: { ...process.env, BACKUP_PW: password } });
  expect((await run(args)).stdout).toBe(`wrote ${join(out, 'slot-list.txt')}\n`);
  const slots = read(out, 'slot-list.txt');
  expect(slots.source).toMatch(/^recorded from LunaCM slot 0: G7 Backup HSM, firmware 7\.7\.1 on \d{4}-\d\d-\d\d$/);
  expect(parseSlotList(slots.output).map((s) => s.label)).toEqual(['onprem-backup', 'payments']);
  await expect(run(args)).rejects.toThrow(/would overwrite/);
  await expect(run([...args.slice(0, -1), 'partition archive backup -slot 1 -partition x'], 'x')).rejects.toThrow(
    /refused/,
  );
  expect(sim.backup.state.read().audit.map((a) => a.command)).toEqual(['slot list']);
});
