import {
  parseArchiveList,
  parseAuditLogList,
  parseAuditRemoteHosts,
  parseClientFingerprint,
  parseClientShow,
  parseDefaultRoutes,
  parseFirmwareShow,
  parseHsmShow,
  parsePackageFiles,
  parsePackageList,
  parsePartitionList,
  parseNtpStatus,
  parsePolicies,
  parseResult,
  parseSlotList,
  parseStcStatus,
  parseSyslogRemoteHosts,
} from '../../activities/device/lunash-parser';
import { UnreadableOutput } from '../../activities/device/errors';
import { allFixtures, fixture, lineEndVariants, type Fixture } from '../support/lunash-fixtures';
import { parseClientList } from '../../activities/ops/firmware-prechecks';

// Every recorded or documented output in test/fixtures/lunash/, read as the operations read it,
// and again with each line ending a device or a PTY may use.

/** What an operation reads out of each command's output, or how it refuses to. */
function read(f: Fixture): unknown {
  try {
    return readOrThrow(f);
  } catch (err) {
    if (err instanceof UnreadableOutput) return { unreadable: err.message };
    throw err;
  }
}

function readOrThrow(f: Fixture): unknown {
  const [word] = f.command.split(' -');
  const client = /-client (\S+)/.exec(f.command)?.[1];
  if (f.name.startsWith('error-')) return parseResult(f.output);
  switch (word) {
    case 'hsm show':
      return parseHsmShow(f.output);
    case 'partition list':
      return parsePartitionList(f.output);
    case 'client show':
      return parseClientShow(f.output, client!);
    case 'syslog remotehost list':
      return parseSyslogRemoteHosts(f.output);
    case 'hsm showPolicies':
      return parsePolicies(f.output);
    case 'package listfile':
      return parsePackageFiles(f.output);
    case 'hsm firmware show':
      return parseFirmwareShow(f.output);
    case 'hsm stc status':
      return parseStcStatus(f.output);
    case 'network route show':
      return parseDefaultRoutes(f.output);
    case 'package list':
      return parsePackageList(f.output);
    case 'slot list':
      return parseSlotList(f.output);
    case 'partition archive list':
      return parseArchiveList(f.output);
    case 'sysconf ntp status':
      return parseNtpStatus(f.output);
    case 'client fingerprint':
      return parseClientFingerprint(f.output);
    case 'audit log list':
      return parseAuditLogList(f.output);
    case 'audit remotehost list':
      return parseAuditRemoteHosts(f.output);
    case 'client list':
      return parseClientList(f.output);
    default:
      return parseResult(f.output);
  }
}

const success = { code: 0, text: 'Success', errors: [] };

const EXPECTED: Record<string, unknown> = {
  'hsm-show-7.2-zeroized': {
    label: null,
    serial: '572413',
    firmware: '7.0.3',
    model: 'Luna K7',
    softwareVersion: '7.2.0-220',
    zeroized: true,
    soLoginAttemptsLeft: null,
    manuallyZeroized: false,
    loggedIn: false,
    partitions: [],
    partitionsAllowed: 10,
    partitionsCreated: 0,
    storageTotal: 33554432,
    storageFree: 33554432,
  },
  'hsm-show-7.x-initialised': {
    label: 'HSM1',
    serial: '572413',
    firmware: '7.0.3',
    model: 'Luna K7',
    softwareVersion: '7.2.0-220',
    zeroized: false,
    soLoginAttemptsLeft: 3,
    manuallyZeroized: false,
    loggedIn: true,
    partitions: [
      { serial: '1582775433934', name: 'payments' },
      { serial: '1582775433935', name: 'tokens' },
    ],
    partitionsAllowed: 10,
    partitionsCreated: 2,
    storageTotal: 33554432,
    storageFree: 26843546,
  },
  'hsm-show-6.2-initialised': {
    label: 'jpmonge',
    serial: '534071',
    firmware: '6.10.9',
    model: 'K6 Base',
    softwareVersion: '6.2.2-5',
    zeroized: false,
    soLoginAttemptsLeft: 3,
    manuallyZeroized: false,
    loggedIn: false,
    partitions: [{ serial: '534071009', name: 'partition1' }],
    partitionsAllowed: 10,
    partitionsCreated: 1,
    storageTotal: 2097152,
    storageFree: 1887437,
  },
  'hsm-show-5.3-initialised': {
    label: 'patchLuna',
    serial: '157541',
    firmware: '6.10.1',
    model: 'Luna K6',
    softwareVersion: '5.3.0-11',
    zeroized: false,
    soLoginAttemptsLeft: 3,
    manuallyZeroized: false,
    loggedIn: false,
    partitions: [{ serial: '157541008', name: 'patchPart' }],
    partitionsAllowed: null,
    partitionsCreated: null,
    storageTotal: 2097152,
    storageFree: 1992295,
  },
  'hsm-show-5.1-zeroized': {
    label: null,
    serial: '156155',
    firmware: '6.2.1',
    model: 'Luna K6',
    softwareVersion: '5.1.0-25',
    zeroized: true,
    soLoginAttemptsLeft: null,
    manuallyZeroized: false,
    loggedIn: false,
    partitions: [],
    partitionsAllowed: null,
    partitionsCreated: null,
    storageTotal: 2097152,
    storageFree: 2097152,
  },
  'partition-list-7.x': [{ serial: '1582775433934', name: 'sp_sehsm3', objects: 23 }],
  'partition-list-5.x': [
    { serial: '157826004', name: 'testPar1', objects: 0 },
    { serial: '157826011', name: 'testPar2', objects: 2 },
  ],
  'partition-list-6.2': [
    { serial: '534071016', name: 'partition1', objects: 0 },
    { serial: '534071020', name: 'partition2', objects: 3 },
    { serial: '534071027', name: 'partition3', objects: 0 },
    { serial: '534071021', name: 'partition4', objects: 2 },
    { serial: '534071030', name: 'partition5', objects: 10 },
    { serial: '534071053', name: 'partition6', objects: 0 },
  ],
  'partition-list-empty': [],
  'client-show-partitions-5.x': ['clientPar1', 'clientPar2', 'clientPar3'],
  'client-show-no-partitions-5.x': [],
  'client-show-7.x': ['sp_sehsm3'],
  'syslog-remotehost-list-5.3': [
    { host: '54.208.217.148', port: 514, protocol: 'udp' },
    { host: '10.0.106.107', port: 514, protocol: 'udp' },
  ],
  'syslog-remotehost-list-5.1': [
    { host: '54.208.217.148', port: null, protocol: null },
    { host: '10.0.106.107', port: null, protocol: null },
  ],
  'syslog-remotehost-list-empty': [],
  'hsm-showpolicies-6.x': [
    { code: '6', description: 'Allow masking', value: '1', destructive: true },
    { code: '7', description: 'Allow cloning', value: '1', destructive: true },
    { code: '12', description: 'Allow non-FIPS algorithms', value: '1', destructive: true },
    { code: '15', description: 'SO can reset partition PIN', value: '1', destructive: true },
    { code: '16', description: 'Allow network replication', value: '1', destructive: false },
    { code: '20', description: 'Allow Remote Authentication', value: '1', destructive: true },
    { code: '21', description: 'Force user PIN change after set/reset', value: '0', destructive: false },
    { code: '22', description: 'Allow offboard storage', value: '1', destructive: true },
    { code: '29', description: 'Allow Acceleration', value: '1', destructive: true },
  ],
  'hsm-showpolicies-7.x': [
    { code: '6', description: 'Allow masking', value: '1', destructive: true },
    { code: '7', description: 'Allow cloning', value: '1', destructive: true },
    { code: '12', description: 'Allow non-FIPS algorithms', value: '1', destructive: true },
    { code: '15', description: 'SO can reset partition PIN', value: '0', destructive: true },
    { code: '16', description: 'Allow network replication', value: '1', destructive: false },
    { code: '20', description: 'Allow Remote Authentication', value: '1', destructive: true },
    { code: '21', description: 'Force user PIN change after set/reset', value: '0', destructive: false },
    { code: '22', description: 'Allow offboard storage', value: '1', destructive: true },
    { code: '29', description: 'Allow Acceleration', value: '1', destructive: true },
  ],
  // hsm-init: the NTLS certificate and HSM audit logging
  'sysconf-regencert': success,
  'ntls-bind': success,
  'service-restart-ntls': success,
  'audit-init': success,
  'audit-login': success,
  'audit-remotehost-add': success,
  'audit-remotehost-list': [{ host: '192.20.9.160', port: 1660, protocol: 'tcp' }],
  'package-listfile': [{ file: 'lunahsm_update-7.8.4-12.spkg', size: 28000 }],
  'package-listfile-empty': [],
  // firmware upgrade
  'hsm-firmware-show': { current: '7.0.3', rollback: null, upgrade: '7.8.4' },
  'hsm-firmware-show-upgraded': { current: '7.8.4', rollback: '7.0.3', upgrade: null },
  'hsm-stc-status': { enabled: true },
  // a capture with elided rows ("..."): refused, never read as the rows it shows
  'hsm-showpolicies-6.20-elided': { unreadable: expect.stringContaining(`unexpected 'hsm showPolicies' output`) },
  'network-route-show': [{ gateway: '10.0.2.1', iface: 'eth0' }],
  'network-route-show-two-defaults': [
    { gateway: '10.0.2.1', iface: 'eth0' },
    { gateway: '10.0.3.1', iface: 'eth1' },
  ],
  'package-list': ['lunasa-reboot-patch-3'],
  'package-list-empty': [],
  'package-verify': success,
  'hsm-firmware-upgrade': success,
  'lunacm-slot-list-7.1': [
    {
      id: 0,
      serial: 'XXXXXXXXXXXXX',
      label: '',
      description: 'Net Token Slot',
      model: 'LunaSA 7.0.0',
      firmware: '7.0.1',
    },
  ],
  'lunacm-partition-archive-list': [
    { label: 'hsm-sim-1-payments-20261129-3f2a9c1d', objects: 42 },
    { label: 'hsm-sim-1-tokens-20261129-3f2a9c1d', objects: 0 },
  ],
  'lunacm-partition-archive-list-empty': [],
  'error-client-show-not-registered': {
    code: 65535,
    text: 'Luna Shell execution',
    errors: [
      {
        line: "Error:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)",
        code: 'C000040A',
        name: 'RC_OBJECT_NOT_IN_LIST',
      },
      { line: 'Error:  Specified client does not exist.', code: undefined, name: undefined },
    ],
  },
  'error-hsm-login-zeroizing': {
    code: 0,
    text: 'Success',
    errors: [
      {
        line: "Error:  'hsm login' failed. (30000F : LUNA_RET_SO_LOGIN_FAILURE_THRESHOLD)",
        code: '30000F',
        name: 'LUNA_RET_SO_LOGIN_FAILURE_THRESHOLD',
      },
      { line: 'Error:    The HSM is in the factory reset (zeroized) state.', code: undefined, name: undefined },
    ],
  },
  'error-hsm-login-wrong-password': {
    code: 65535,
    text: 'Luna Shell execution',
    errors: [
      {
        line: "Error:  'hsm login' failed. (A00000 : LUNA_RET_UM_PIN_INCORRECT)",
        code: 'A00000',
        name: 'LUNA_RET_UM_PIN_INCORRECT',
      },
    ],
  },
  'error-lunacm-object-exists': {
    code: 0x80000203,
    text: 'LUNA_RET_OBJECT_EXISTS',
    errors: [{ line: 'Error in execution: LUNA_RET_OBJECT_EXISTS.', code: undefined, name: undefined }],
  },
  // warnings and notices before the result line are not errors
  'hsm-changepolicy-destructive-6.2': success,
  'package-update-5.1': success,
  'syslog-remotehost-add-5.3': success,
  'sysconf-appliance-reboot': success,
  'hsm-login': success,
  'hsm-init': success,
  'hsm-zeroize': success,
  'hsm-stc-disable': success,
  'partition-create': success,
  'client-register': success,
  'client-assignpartition': success,
  'lunacm-partition-archive-backup': { code: 0, text: 'No Error', errors: [] },
  'lunacm-partition-archive-delete': { code: 0, text: 'No Error', errors: [] },
  'sysconf-ntp-status-5.1': {
    running: true,
    enabled: true,
    peers: [
      { remote: 'LOCAL(0)', refid: '.LOCL.', selected: true },
      { remote: '54.208.217.148', refid: '.INIT.', selected: false },
    ],
    time: Date.parse('2013-11-19T16:57:33Z'), // the NTP timestamp (UTC); the appliance printed its local time, 11:57:33
  },
  'sysconf-ntp-status-not-running-5.1': {
    running: false,
    enabled: false,
    peers: [
      { remote: 'LOCAL(0)', refid: '.LOCL.', selected: true },
      { remote: '54.208.217.148', refid: '.INIT.', selected: false },
    ],
    time: Date.parse('2013-11-19T16:57:33Z'),
  },
  'client-fingerprint-5.x': 'D9:9E:25:B3:A9:68:06:50:8F:C4:90:FC:E5:50:E2:BC',
  'error-client-fingerprint-not-registered': {
    code: 65535,
    text: 'Luna Shell execution',
    errors: [
      { line: 'Error:  The client you specified does not exist.', code: undefined, name: undefined },
      {
        line: "Error:  'client fingerprint' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)",
        code: 'C000040A',
        name: 'RC_OBJECT_NOT_IN_LIST',
      },
    ],
  },
  'syslog-tail-lunalogs': success,
  'audit-log-list': [{ file: 'hsm_1238475_00000001.log', size: 812 }],
  'audit-log-list-empty': [],
  'client-list': ['app01', 'backup-ws'],
  'audit-log-tail': success,
  'lunacm-slot-set': { code: 0, text: 'No Error', errors: [] },
  'lunacm-role-login': { code: 0, text: 'No Error', errors: [] },
  'lunacm-partition-init': { code: 0, text: 'No Error', errors: [] },
  'lunacm-partition-archive-restore': { code: 0, text: 'No Error', errors: [] },
  'client-revokepartition': success,
  // the empty backup partition a domain mismatch leaves: a failure, whatever the code
  'error-lunacm-archive-backup-domain-mismatch': {
    code: 0x80000000,
    text: 'CKR_CERTIFICATE_INVALID',
    errors: [
      { line: 'Error in execution: CKR_CERTIFICATE_INVALID.', code: undefined, name: undefined },
      {
        line: 'Error:  The cloning domain of the backup partition does not match the source partition.',
        code: undefined,
        name: undefined,
      },
    ],
  },
};

// A warning line before the answer (or right before its result line) reads as the answer alone.
Object.assign(EXPECTED, {
  'warning-hsm-show-7.x': EXPECTED['hsm-show-7.x-initialised'],
  'warning-partition-list-7.x': EXPECTED['partition-list-7.x'],
  'warning-partition-list-empty': EXPECTED['partition-list-empty'],
  'warning-client-show-7.x': EXPECTED['client-show-7.x'],
  'warning-partition-create': EXPECTED['partition-create'],
  'lunacm-partition-archive-backup-so-on-question': EXPECTED['lunacm-partition-archive-backup'],
});

const fixtures = allFixtures();

test('every fixture says where its shape comes from: a Thales page, a public capture, or "guessed"', () => {
  for (const f of fixtures) expect(f.source).toMatch(/guessed|capture|docs|thalesdocs|https:\/\//);
  expect(fixtures.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});

test('there is a fixture for every command the operations send', () => {
  const sent = [
    'hsm show',
    'hsm login',
    'hsm init',
    'hsm zeroize',
    'hsm showPolicies',
    'hsm changepolicy',
    'hsm stc disable',
    'hsm stc status',
    'hsm firmware show',
    'hsm firmware upgrade',
    'network route show',
    'package list',
    'package verify',
    'partition list',
    'partition create',
    'client show',
    'client register',
    'client assignPartition',
    'client revokePartition',
    'syslog remotehost list',
    'syslog remotehost add',
    'package listfile',
    'package update',
    'sysconf appliance reboot',
    'slot list',
    'slot set',
    'role login',
    'partition archive list',
    'partition archive backup',
    'partition archive delete',
    'sysconf ntp status',
    'client fingerprint',
    'syslog tail',
    'audit log list',
    'audit log tail',
    'sysconf regenCert',
    'ntls bind',
    'service restart ntls',
    'audit init',
    'audit login',
    'audit remotehost add',
    'audit remotehost list',
    'client list',
  ];
  for (const command of sent)
    expect(fixtures.some((f) => f.command.toLowerCase().startsWith(command.toLowerCase()))).toBe(true);
});

describe.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
  test('reads as expected', () => {
    expect(read(f)).toEqual(EXPECTED[f.name]);
    expect(parseResult(f.output)).toBeDefined();
  });

  test.each(lineEndVariants(f.output))('reads the same with %s line ends', (_how, output) => {
    expect(read({ ...f, output })).toEqual(EXPECTED[f.name]);
  });
});

test('the 5.x partition list (one full-width rule) is read by its header, not as the storage heading above it', () => {
  expect(parsePartitionList(fixture('partition-list-5.x').output).map((p) => p.name)).toEqual(['testPar1', 'testPar2']);
});
