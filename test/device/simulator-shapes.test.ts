import { spawnSync } from 'node:child_process';
import { archiveBackupAnswers, roleLoginAnswers } from '../../activities/device/lunacm-answers';
import { createServer, type AddressInfo } from 'node:net';
import { LunaShell } from '../../activities/device/luna-shell';
import {
  normaliseOutput,
  parseArchiveList,
  parseAuditLogList,
  parseClientFingerprint,
  parseClientShow,
  parseDefaultRoutes,
  parseFirmwareShow,
  parseHsmShow,
  parseNtpStatus,
  parsePackageFiles,
  parsePackageList,
  parsePartitionList,
  parsePolicies,
  parseSlotList,
  parseSyslogRemoteHosts,
} from '../../activities/device/lunash-parser';
import { fixture } from '../support/lunash-fixtures';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';
import type { ApplianceState } from '../../simulator/state';

// The simulator prints the shapes of test/fixtures/lunash/: for each command the operations read,
// set the simulated appliance to what the fixture shows, ask it over SSH, and read both answers
// the same way. Where the simulator renders the fixture's own layout, the lines match too
// (test/device/transcript-contract.test.ts checks the lines of every fixture the simulator answers).

let sim: SimulatedHsm;
let shell: LunaShell;
let lunacm: LunaShell;
let startup: string;

beforeAll(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim);
  shell = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'tenantadmin',
    { password: SECRETS.TEST_TENANTADMIN_PASSWORD },
  );
  // the workstation is a shell login; LunaCM is started from it
  lunacm = await LunaShell.open(
    { host: '127.0.0.1', port: sim.backup.port, hostKeyFingerprint: sim.backup.fingerprint },
    'backup',
    { password: SECRETS.TEST_BACKUP_PASSWORD },
    { hostShell: true },
  );
  startup = await lunacm.startLunacm('lunacm');
});
afterAll(async () => {
  shell.close();
  lunacm.close();
  await sim.close();
});

const set = (change: Partial<ApplianceState>) => sim.appliance.state.update((s) => void Object.assign(s, change));
const ask = async (command: string) => (await shell.run(command)).output;
/** The lines of an output as a reader sees them: one line end, no trailing blanks, no result line. */
const lines = (output: string) =>
  normaliseOutput(output)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => !/^Command Result/.test(l))
    .join('\n')
    .trim();

const partition = (name: string, serial: string, objects = 0) => ({
  name,
  serial,
  objects,
  createdAt: new Date(0).toISOString(),
});

test('hsm show, zeroized: the simulator prints the Azure 7.2 capture line for line', async () => {
  set({
    zeroized: true,
    label: null,
    serial: '572413',
    firmware: '7.0.3',
    model: 'Luna K7',
    softwareVersion: '7.2.0-220',
    partitions: [],
    clients: [],
  });
  const out = await ask('hsm show');
  expect(lines(out)).toBe(lines(fixture('hsm-show-7.2-zeroized').output));
  expect(parseHsmShow(out)).toEqual(parseHsmShow(fixture('hsm-show-7.2-zeroized').output));
});

test('hsm show, initialised, logged in, with partitions', async () => {
  set({
    zeroized: false,
    label: 'HSM1',
    partitions: [partition('payments', '1582775433934'), partition('tokens', '1582775433935')],
  });
  await shell.run('hsm login', { answers: [{ prompt: /password:[\s>]*$/i, reply: SECRETS.TEST_HSM_SO_PASSWORD }] });
  const want = fixture('hsm-show-7.x-initialised').output;
  expect(parseHsmShow(await ask('hsm show'))).toEqual(parseHsmShow(want));
  await shell.run('hsm logout');
});

test('partition list: the 7.x layout (headings, header, rules) as captured, and the documented empty text', async () => {
  set({
    partitions: [partition('sp_sehsm3', '1582775433934', 23)],
    licence: { licensedPartitions: 10, maxPartitions: 100 },
  });
  const out = await ask('partition list');
  const want = fixture('partition-list-7.x').output;
  expect(parsePartitionList(out)).toEqual(parsePartitionList(want));
  expect(lines(out).split('\n').slice(0, 4)).toEqual(lines(want).split('\n').slice(0, 4));
  set({ partitions: [] });
  expect(lines(await ask('partition list'))).toBe(lines(fixture('partition-list-empty').output));
});

test('client show, with and without partitions', async () => {
  set({ partitions: [partition('clientPar1', '1'), partition('clientPar2', '2'), partition('clientPar3', '3')] });
  set({
    clients: [
      { name: 'client1', host: 'client1', partitions: ['clientPar1', 'clientPar2', 'clientPar3'] },
      { name: 'client2', host: 'client2', partitions: [] },
    ],
  });
  expect(parseClientShow(await ask('client show -client client1'), 'client1')).toEqual(
    parseClientShow(fixture('client-show-partitions-5.x').output, 'client1'),
  );
  expect(lines(await ask('client show -client client2'))).toBe(lines(fixture('client-show-no-partitions-5.x').output));
});

test('syslog remotehost list, as captured on 5.3', async () => {
  set({
    syslogHosts: [
      { host: '54.208.217.148', port: 514, protocol: 'udp' },
      { host: '10.0.106.107', port: 514, protocol: 'udp' },
    ],
  });
  const out = await ask('syslog remotehost list');
  expect(lines(out)).toBe(lines(fixture('syslog-remotehost-list-5.3').output));
  expect(parseSyslogRemoteHosts(out)).toEqual(parseSyslogRemoteHosts(fixture('syslog-remotehost-list-5.3').output));
  set({ syslogHosts: [] });
  expect(parseSyslogRemoteHosts(await ask('syslog remotehost list'))).toEqual([]);
});

test("hsm showPolicies: printed in the 7.x form line for line; the policies read as the 6.x capture's do", async () => {
  set({ label: 'HSM1', serial: '1238475', firmware: '7.0.3', policies: {} });
  const out = await ask('hsm showPolicies');
  expect(lines(out)).toBe(lines(fixture('hsm-showpolicies-7.x').output));
  const six = parsePolicies(fixture('hsm-showpolicies-6.x').output).map(({ code, description, destructive }) => ({
    code,
    description,
    destructive,
  }));
  expect(parsePolicies(out).map(({ code, description, destructive }) => ({ code, description, destructive }))).toEqual(
    six,
  );
  set({ policies: { 15: '1' } });
  expect(parsePolicies(await ask('hsm showPolicies')).find((p) => p.code === '15')?.value).toBe('1');
});

test('audit remotehost list: the guessed layout the parser reads; sysconf regenCert and ntls bind as their sources print them', async () => {
  set({ auditRemoteHosts: [{ host: '192.20.9.160', port: 1660, protocol: 'tcp' }] });
  const audit = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'audit',
    { password: SECRETS.TEST_AUDIT_PASSWORD },
  );
  try {
    expect(lines((await audit.run('audit remotehost list')).output)).toBe(
      lines(fixture('audit-remotehost-list').output),
    );
  } finally {
    audit.close();
  }
  expect(lines(await ask('ntls bind eth0'))).toBe(lines(fixture('ntls-bind').output));
  const regen = await shell.run('sysconf regenCert', {
    answers: [{ prompt: /type 'proceed'[\s\S]*'quit'[\s\S]*>\s*$/i, reply: 'proceed' }],
  });
  expect(lines(regen.output)).toContain(lines(fixture('sysconf-regencert').output).split('\n').slice(-4).join('\n'));
});

test('sysconf ntp status: the state lines and the peers read as the 5.1 capture; its NTP timestamp is the appliance clock', async () => {
  set({ ntp: { enabled: true, running: true, servers: ['54.208.217.148'], synchronised: false }, clockOffsetMs: 0 });
  const out = await ask('sysconf ntp status');
  const { time, ...rest } = parseNtpStatus(out);
  const { time: _captured, ...want } = parseNtpStatus(fixture('sysconf-ntp-status-5.1').output);
  expect(rest).toEqual(want);
  expect(Math.abs(time - Date.now())).toBeLessThan(5000);
  const section = (text: string, from: string, to: string) =>
    lines(text).slice(lines(text).indexOf(from), lines(text).indexOf(to));
  expect(section(out, 'Peers:', 'Associations:').split('\n').slice(0, 4)).toEqual(
    section(fixture('sysconf-ntp-status-5.1').output, 'Peers:', 'Associations:').split('\n').slice(0, 4),
  );
  set({ ntp: { enabled: false, running: false, servers: [], synchronised: false } });
});

test('hsm changePolicy of a destructive policy: the caution of the 6.2.2 capture, line for line', async () => {
  set({ policies: {} });
  await shell.run('hsm login', { answers: [{ prompt: /password:[\s>]*$/i, reply: SECRETS.TEST_HSM_SO_PASSWORD }] });
  const out = (
    await shell.run('hsm changepolicy -policy 12 -value 0', {
      answers: [{ prompt: /'quit' to quit now\.\s*>\s*$/, reply: 'proceed' }],
    })
  ).output;
  // (the capture is double-spaced, which normaliseOutput cannot tell from \r\r\n: compare the text lines)
  const text = (o: string) =>
    lines(o)
      .split('\n')
      .filter((l) => l.trim() !== '');
  expect(text(out)).toEqual(text(fixture('hsm-changepolicy-destructive-6.2').output));
  await shell.run('hsm logout');
});

test('client fingerprint, syslog tail and audit log list read like their fixtures', async () => {
  set({
    clients: [
      {
        name: 'client1',
        host: 'client1',
        partitions: [],
        certificateFingerprint: 'D9:9E:25:B3:A9:68:06:50:8F:C4:90:FC:E5:50:E2:BC',
      },
    ],
  });
  expect(lines(await ask('client fingerprint -client client1'))).toBe(lines(fixture('client-fingerprint-5.x').output));
  expect(parseClientFingerprint(await ask('client fingerprint -client client1'))).toBe(
    parseClientFingerprint(fixture('client-fingerprint-5.x').output),
  );
  const tail = lines(await ask('syslog tail -logname lunalogs -entries 3')).split('\n');
  const documented =
    /^\d{4} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ {2}local5 info {2}lunash \[\d+\]: info : \d+ : Command: .+ {2}: \S+ : \S+$/;
  for (const line of lines(fixture('syslog-tail-lunalogs').output).split('\n').slice(1))
    expect(line).toMatch(documented);
  expect(tail).toHaveLength(3);
  for (const line of tail) expect(line).toMatch(documented);

  const audit = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'audit',
    { password: SECRETS.TEST_AUDIT_PASSWORD },
  );
  try {
    set({ serial: '1238475' });
    const list = (await audit.run('audit log list')).output;
    expect(parseAuditLogList(list).map((f) => f.file)).toEqual(
      parseAuditLogList(fixture('audit-log-list').output).map((f) => f.file),
    );
    expect(lines(list).split('\n').slice(0, 2)).toEqual(
      lines(fixture('audit-log-list').output).split('\n').slice(0, 2),
    );
    const records = lines((await audit.run('audit log tail -file hsm_1238475_00000001.log -entries 2')).output).split(
      '\n',
    );
    expect(records).toHaveLength(2);
    for (const record of records)
      expect(record).toMatch(/^\d+,\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d,S\/N 1238475 user \S+ operation ".+" returned RC_/);
  } finally {
    audit.close();
  }
  // only the audit user reads the HSM audit log
  expect((await shell.run('audit log list', { allowError: true })).output).toContain(
    'this command requires the audit role',
  );
});

test("package listfile, package list, hsm firmware show, network route show (guessed layouts: the fixtures are the simulator's)", async () => {
  set({ files: { 'lunahsm_update-7.8.4-12.spkg': { sha256: 'x', size: 28000, complete: true } } });
  expect(lines(await ask('package listfile'))).toBe(lines(fixture('package-listfile').output));
  expect(parsePackageFiles(await ask('package listfile'))).toEqual(
    parsePackageFiles(fixture('package-listfile').output),
  );
  set({ files: {} });
  expect(lines(await ask('package listfile'))).toBe(lines(fixture('package-listfile-empty').output));
  expect(lines(await ask('package list'))).toBe(lines(fixture('package-list').output));
  set({ packages: [] });
  expect(parsePackageList(await ask('package list'))).toEqual([]);
  set({ firmware: '7.0.3', rollbackFirmware: null, upgradeFirmware: '7.8.4' });
  expect(lines(await ask('hsm firmware show'))).toBe(lines(fixture('hsm-firmware-show').output));
  set({ firmware: '7.8.4', rollbackFirmware: '7.0.3', upgradeFirmware: null });
  expect(parseFirmwareShow(await ask('hsm firmware show'))).toEqual(
    parseFirmwareShow(fixture('hsm-firmware-show-upgraded').output),
  );
  expect(lines(await ask('network route show'))).toBe(lines(fixture('network-route-show').output));
  expect(parseDefaultRoutes(await ask('network route show'))).toEqual([{ gateway: '10.0.2.1', iface: 'eth0' }]);
  set({ firmware: '7.0.3', upgradeFirmware: null, rollbackFirmware: null, packages: ['lunasa-reboot-patch-3'] });
});

test('LunaCM slot list: the fields of the 7.1 capture; partition archive list as its (guessed) fixture', async () => {
  set({
    partitions: [partition('payments', '1500000000001', 42)],
    clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
  });
  const out = (await lunacm.run('slot list')).output;
  const fields = (text: string) => [...new Set([...text.matchAll(/^ {4}(\S.*?) ->/gm)].map((m) => m[1]))];
  expect(fields(out)).toEqual(fields(fixture('lunacm-slot-list-7.1').output));
  expect(parseSlotList(out).map((s) => s.description)).toEqual(['G7 Backup HSM', 'Net Token Slot']);
  expect(parseSlotList(out)[1]).toMatchObject({ id: 1, serial: '1500000000001', label: 'payments' });

  // LunaCM prints its slot list as it starts, as captured
  expect(fields(startup)).toEqual(fields(fixture('lunacm-slot-list-7.1').output));
  expect(startup).toMatch(/^LunaCM \(64-bit\) v[\d.-]+\. Copyright/);

  const known = {
    domain: SECRETS.TEST_PARTITION_DOMAIN,
    sourceSerial: '1500000000001',
    sourcePartition: 'payments',
    sourceAppliance: 'hsm-sim-1',
    createdAt: '2026-11-29T10:00:00.000Z',
  };
  sim.backup.state.update((s) => {
    s.backups = [
      { ...known, label: 'hsm-sim-1-payments-20261129-3f2a9c1d', objects: 42 },
      { ...known, label: 'hsm-sim-1-tokens-20261129-3f2a9c1d', objects: 0 },
    ];
  });
  const archive = (await lunacm.run('partition archive list -slot 0')).output;
  expect(lines(archive)).toBe(lines(fixture('lunacm-partition-archive-list').output));
  expect(parseArchiveList(archive)).toEqual(parseArchiveList(fixture('lunacm-partition-archive-list').output));
  sim.backup.state.update((s) => void (s.backups = []));
  expect(lines((await lunacm.run('partition archive list -slot 0')).output)).toBe(
    lines(fixture('lunacm-partition-archive-list-empty').output),
  );
});

/** An answered question's line reads the same with or without the asterisks a terminal shows. */
const unmasked = (output: string) => lines(output).replace(/: \*+$/gm, ':');

test('LunaCM backup, as the Crypto Officer of the current slot: slot set, role login and partition archive backup as their fixtures, then with a domain that does not match', async () => {
  set({
    partitions: [partition('payments', '1500000000001', 2)],
    clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
  });
  expect(lines((await lunacm.run('slot set -slot 1')).output)).toBe(lines(fixture('lunacm-slot-set').output));
  const co = roleLoginAnswers(SECRETS.TEST_PARTITION_CO);
  expect(unmasked((await lunacm.run('role login -name co', { answers: co })).output)).toBe(
    unmasked(fixture('lunacm-role-login').output),
  );
  const label = 'hsm-sim-1-payments-20261129-3f2a9c1d';
  const answers = (domain: string) =>
    archiveBackupAnswers({ so: SECRETS.TEST_BACKUP_HSM_SO, domain, replacing: false });
  const made = await lunacm.run(`partition archive backup -slot 0 -partition ${label}`, {
    answers: answers(SECRETS.TEST_PARTITION_DOMAIN),
  });
  expect(unmasked(made.output)).toBe(unmasked(fixture('lunacm-partition-archive-backup').output));

  const other = label.replace('payments', 'other');
  const failed = await lunacm.run(`partition archive backup -slot 0 -partition ${other}`, {
    answers: answers('another-domain'),
    allowError: true,
  });
  expect(unmasked(failed.output)).toBe(
    unmasked(fixture('error-lunacm-archive-backup-domain-mismatch').output.replaceAll(label, other)),
  );
  // what the documentation says is left behind: an empty backup partition
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([
    [label, 2],
    [other, 0],
  ]);
  sim.backup.state.update((s) => void (s.backups = []));
});

test('lunash client revokePartition, as public automation expects it', async () => {
  set({
    partitions: [partition('payments', '1500000000001')],
    clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
  });
  expect(lines(await ask('client revokePartition -client backup-ws -partition payments'))).toBe(
    lines(fixture('client-revokepartition').output),
  );
  expect(sim.appliance.state.read().clients).toEqual([{ name: 'backup-ws', host: 'backup-ws', partitions: [] }]);
});

test("the workstation's shell answers a TCP connection test as bash does", async () => {
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port: sim.backup.port, hostKeyFingerprint: sim.backup.fingerprint },
    'backup',
    { password: SECRETS.TEST_BACKUP_PASSWORD },
    { hostShell: true },
  );
  try {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const test = (port: number) => `timeout 2 bash -c '</dev/tcp/127.0.0.1/${port}'`;
    const simulated = await shell.runHost(test(closed));
    const real = spawnSync('bash', ['-c', `${test(closed)}; echo "[exit $?]"`], { encoding: 'utf8' });
    expect(`${simulated.output}\n[exit ${simulated.status}]`).toBe(
      `${real.stdout}${real.stderr}`
        .trim()
        .split('\n')
        .sort((a, b) => Number(a.startsWith('[exit')) - Number(b.startsWith('[exit')))
        .join('\n'),
    );
    expect(await shell.runHost(test(sim.appliance.ntlsPort))).toEqual({
      command: test(sim.appliance.ntlsPort),
      output: '',
      status: 0,
    });
    expect((await shell.runHost('vtl verify')).output).toBe('bash: vtl: command not found');
  } finally {
    shell.close();
  }
});
