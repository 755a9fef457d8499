import { LunaShell } from '../../activities/device/luna-shell';
import { normaliseOutput, parseArchiveList, parseClientShow, parseHsmShow, parsePackageFiles, parsePartitionList, parsePolicies, parseSlotList, parseSyslogRemoteHosts, parseDefaultRoutes, parseFirmwareShow, parsePackageList } from '../../activities/device/lunash-parser';
import { fixture } from '../support/lunash-fixtures';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';
import type { ApplianceState } from '../../simulator/state';

// The simulator prints the shapes of test/fixtures/lunash/: for each command the operations read,
// set the simulated appliance to what the fixture shows, ask it over SSH, and read both answers
// the same way. Where the simulator renders the fixture's own layout, the lines match too.

let sim: SimulatedHsm;
let shell: LunaShell;
let lunacm: LunaShell;

beforeAll(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim);
  shell = await LunaShell.open({ host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint }, 'tenantadmin', { password: SECRETS.TEST_TENANTADMIN_PASSWORD });
  lunacm = await LunaShell.open({ host: '127.0.0.1', port: sim.backup.port, hostKeyFingerprint: sim.backup.fingerprint }, 'backup', { password: SECRETS.TEST_BACKUP_PASSWORD });
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

const partition = (name: string, serial: string, objects = 0) => ({ name, serial, objects, createdAt: new Date(0).toISOString() });

test('hsm show, zeroized: the simulator prints the Azure 7.2 capture line for line', async () => {
  set({ zeroized: true, label: null, serial: '572413', firmware: '7.0.3', model: 'Luna K7', softwareVersion: '7.2.0-220', partitions: [], clients: [] });
  const out = await ask('hsm show');
  expect(lines(out)).toBe(lines(fixture('hsm-show-7.2-zeroized').output));
  expect(parseHsmShow(out)).toEqual(parseHsmShow(fixture('hsm-show-7.2-zeroized').output));
});

test('hsm show, initialised, logged in, with partitions', async () => {
  set({ zeroized: false, label: 'HSM1', partitions: [partition('payments', '1582775433934'), partition('tokens', '1582775433935')] });
  await shell.run('hsm login', { answers: [{ prompt: /password:[\s>]*$/i, reply: SECRETS.TEST_HSM_SO_PASSWORD }] });
  const want = fixture('hsm-show-7.x-initialised').output;
  expect(parseHsmShow(await ask('hsm show'))).toEqual(parseHsmShow(want));
  await shell.run('hsm logout');
});

test('partition list: the 7.x layout (headings, header, rules) as captured, and the documented empty text', async () => {
  set({ partitions: [partition('sp_sehsm3', '1582775433934', 23)], licence: { licensedPartitions: 10, maxPartitions: 100 } });
  const out = await ask('partition list');
  const want = fixture('partition-list-7.x').output;
  expect(parsePartitionList(out)).toEqual(parsePartitionList(want));
  expect(lines(out).split('\n').slice(0, 4)).toEqual(lines(want).split('\n').slice(0, 4));
  set({ partitions: [] });
  expect(lines(await ask('partition list'))).toBe(lines(fixture('partition-list-empty').output));
});

test('client show, with and without partitions', async () => {
  set({ partitions: [partition('clientPar1', '1'), partition('clientPar2', '2'), partition('clientPar3', '3')] });
  set({ clients: [{ name: 'client1', host: 'client1', partitions: ['clientPar1', 'clientPar2', 'clientPar3'] }, { name: 'client2', host: 'client2', partitions: [] }] });
  expect(parseClientShow(await ask('client show -client client1'), 'client1')).toEqual(parseClientShow(fixture('client-show-partitions-5.x').output, 'client1'));
  expect(lines(await ask('client show -client client2'))).toBe(lines(fixture('client-show-no-partitions-5.x').output));
});

test('syslog remotehost list, as captured on 5.3', async () => {
  set({ syslogHosts: [{ host: '54.208.217.148', port: 514, protocol: 'udp' }, { host: '10.0.106.107', port: 514, protocol: 'udp' }] });
  const out = await ask('syslog remotehost list');
  expect(lines(out)).toBe(lines(fixture('syslog-remotehost-list-5.3').output));
  expect(parseSyslogRemoteHosts(out)).toEqual(parseSyslogRemoteHosts(fixture('syslog-remotehost-list-5.3').output));
  set({ syslogHosts: [] });
  expect(parseSyslogRemoteHosts(await ask('syslog remotehost list'))).toEqual([]);
});

test('hsm showPolicies: the capabilities and configured-policy tables come first; the policies read the same', async () => {
  set({ policies: { 15: '1' } });
  const out = await ask('hsm showPolicies');
  expect(out.indexOf('Enable PIN-based authentication')).toBeLessThan(out.indexOf('Allow masking'));
  expect(parsePolicies(out)).toEqual(parsePolicies(fixture('hsm-showpolicies-6.x').output));
});

test('package listfile, package list, hsm firmware show, network route show (guessed layouts: the fixtures are the simulator\'s)', async () => {
  set({ files: { 'lunahsm_update-7.8.4-12.spkg': { sha256: 'x', size: 28000, complete: true } } });
  expect(lines(await ask('package listfile'))).toBe(lines(fixture('package-listfile').output));
  expect(parsePackageFiles(await ask('package listfile'))).toEqual(parsePackageFiles(fixture('package-listfile').output));
  set({ files: {} });
  expect(lines(await ask('package listfile'))).toBe(lines(fixture('package-listfile-empty').output));
  expect(lines(await ask('package list'))).toBe(lines(fixture('package-list').output));
  set({ packages: [] });
  expect(parsePackageList(await ask('package list'))).toEqual([]);
  set({ firmware: '7.0.3', rollbackFirmware: null, upgradeFirmware: '7.8.4' });
  expect(lines(await ask('hsm firmware show'))).toBe(lines(fixture('hsm-firmware-show').output));
  set({ firmware: '7.8.4', rollbackFirmware: '7.0.3', upgradeFirmware: null });
  expect(parseFirmwareShow(await ask('hsm firmware show'))).toEqual(parseFirmwareShow(fixture('hsm-firmware-show-upgraded').output));
  expect(lines(await ask('network route show'))).toBe(lines(fixture('network-route-show').output));
  expect(parseDefaultRoutes(await ask('network route show'))).toEqual([{ gateway: '10.0.2.1', iface: 'eth0' }]);
  set({ firmware: '7.0.3', upgradeFirmware: null, rollbackFirmware: null, packages: ['lunasa-reboot-patch-3'] });
});

test('LunaCM slot list: the fields of the 7.1 capture; partition archive list as its (guessed) fixture', async () => {
  set({ partitions: [partition('payments', '1500000000001', 42)], clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }] });
  const out = (await lunacm.run('slot list')).output;
  const fields = (text: string) => [...new Set([...text.matchAll(/^ {4}(\S.*?) ->/gm)].map((m) => m[1]))];
  expect(fields(out)).toEqual(fields(fixture('lunacm-slot-list-7.1').output));
  expect(parseSlotList(out).map((s) => s.description)).toEqual(['G7 Backup HSM', 'Net Token Slot']);
  expect(parseSlotList(out)[1]).toMatchObject({ id: 1, serial: '1500000000001', label: 'payments' });

  sim.backup.state.update((s) => {
    s.backups = [{ label: 'c-1-payments', sourceSerial: '1500000000001', sourcePartition: 'payments', sourceAppliance: 'hsm-sim-1', objects: 42, createdAt: '2026-11-29T10:00:00.000Z' }];
  });
  const archive = (await lunacm.run('partition archive list -slot 0')).output;
  expect(lines(archive)).toBe(lines(fixture('lunacm-partition-archive-list').output));
  expect(parseArchiveList(archive)).toEqual(parseArchiveList(fixture('lunacm-partition-archive-list').output));
  sim.backup.state.update((s) => void (s.backups = []));
  expect(lines((await lunacm.run('partition archive list -slot 0')).output)).toBe(lines(fixture('lunacm-partition-archive-list-empty').output));
});
