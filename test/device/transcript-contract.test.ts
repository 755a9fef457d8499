import { readFileSync } from 'node:fs';
import { LunaShell, type Answer } from '../../activities/device/luna-shell';
import {
  archiveBackupAnswers,
  archiveDeleteAnswers,
  archiveRestoreAnswers,
  roleLoginAnswers,
} from '../../activities/device/lunacm-answers';
import { allFixtures, fixture, type Fixture } from '../support/lunash-fixtures';
import {
  CLIENT_CERTIFICATES,
  initialiseDirectly,
  SECRETS,
  startSimulatedHsm,
  type SimulatedHsm,
} from '../support/simulated-hsm';
import type { ApplianceState } from '../../simulator/state';

// The contract between the simulator and the transcripts in test/fixtures/lunash/ (each with its
// source line). test/unit/lunash-fixtures.test.ts feeds every transcript to the parsers; this
// test asks the simulator, over SSH, each command a transcript shows (with the simulated unit set
// to what the transcript shows) and checks that it prints the transcript's lines: the same lines
// in the same order, the result line included, modulo the values a case names (serials, sizes,
// times). The simulator shares no code with the parsers (test/unit/simulator-independence.test.ts),
// so a shape wrong on one side shows here. Every fixture has a case, or says why the simulated
// unit (a Luna Network HSM 7) does not print that shape: a new fixture cannot be forgotten.

let sim: SimulatedHsm;
let admin: LunaShell;
let audit: LunaShell;
let lunacm: LunaShell;

const target = () => ({ host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint });
const openAdmin = () => LunaShell.open(target(), 'tenantadmin', { password: SECRETS.TEST_TENANTADMIN_PASSWORD });

beforeAll(async () => {
  sim = await startSimulatedHsm();
  initialiseDirectly(sim);
  admin = await openAdmin();
  audit = await LunaShell.open(target(), 'audit', { password: SECRETS.TEST_AUDIT_PASSWORD });
  lunacm = await LunaShell.open(
    { host: '127.0.0.1', port: sim.backup.port, hostKeyFingerprint: sim.backup.fingerprint },
    'backup',
    { password: SECRETS.TEST_BACKUP_PASSWORD },
    { hostShell: true },
  );
  await lunacm.startLunacm('lunacm');
});
afterAll(async () => {
  for (const shell of [admin, audit, lunacm]) shell?.close();
  await sim?.close();
});

const set = (change: Partial<ApplianceState>) => sim.appliance.state.update((s) => void Object.assign(s, change));
const partition = (name: string, serial: string, objects = 0, size?: number) => ({
  name,
  serial,
  objects,
  createdAt: new Date(0).toISOString(),
  ...(size ? { size } : {}),
});
const proceed: Answer = { prompt: /(?:'quit' to quit now\.?|otherwise type 'quit')\s*>\s*$/, reply: 'proceed' };
const soPassword: Answer = { prompt: /password:\s*>\s*$/i, reply: SECRETS.TEST_HSM_SO_PASSWORD };
const login = async () => void (await admin.run('hsm login', { answers: [soPassword] }));
/** LunaCM on the partition `payments` (slot 1), logged in as its Crypto Officer. */
const coOfPayments = async () => {
  set({
    partitions: [partition('payments', '1500000000001', 2)],
    clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
  });
  await lunacm.run('slot set -slot 1');
  await lunacm.run('role login -name co', { answers: roleLoginAnswers(SECRETS.TEST_PARTITION_CO) });
};
const logout = async () => void (await admin.run('hsm logout'));
const AUDIT_ROLE = 'Audit-Role-Pass-1';
/** The Auditor logged in (the Audit role initialised with a password we hold). */
const auditorLogin = async () => {
  set({ auditRole: { password: AUDIT_ROLE, domain: AUDIT_ROLE } });
  await audit.run('audit login', { answers: [{ prompt: /enter the password:\s*>\s*$/, reply: AUDIT_ROLE }] });
};
/** The unit prints a warning line before the next answer to `command` (once). */
const warn = (command: string) => sim.appliance.faults.write({ warnBefore: [{ match: command, times: 1 }] });

/** The lines of an output as the contract compares them: one line end, no trailing spaces, an
 * answered secret's asterisks left out (the terminal shows them; the transcripts show some), the
 * values a case masks replaced. Blank lines before the first line, and the run of blank lines
 * before the result line, are not compared (releases differ there: 5.x prints two, a 7.x
 * transcript taken over `ssh host <command>` none), nor the first line's indentation (the client
 * that asks, LunaShell, trims the output it hands on). */
function shape(output: string, masks: [RegExp, string][] = []): string[] {
  let text = output
    .replace(/\r*\n/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd().replace(/(>|:) \*+$/, '$1'))
    .join('\n')
    .replace(/^\s+|\s+$/g, '')
    .replace(/\n+(Command Result :)/, '\n\n$1');
  for (const [re, by] of masks) text = text.replace(re, by);
  return text.split('\n');
}

/** Whether `actual` is `pattern` with each "..." line standing for any number of lines. */
function fitsElided(actual: string[], pattern: string[]): boolean {
  if (pattern.length === 0) return actual.length === 0;
  const [first, ...rest] = pattern;
  if (first.trim() === '...') return actual.some((_, i) => fitsElided(actual.slice(i), rest)) || fitsElided([], rest);
  return actual.length > 0 && actual[0] === first && fitsElided(actual.slice(1), rest);
}

/** How the simulator is asked what a transcript shows. */
interface Case {
  /** Set the simulated unit to what the transcript shows (and log in, when the command needs it). */
  given?: () => Promise<void> | void;
  /** The session that asks: lunash as the admin (default) or as the audit user, or LunaCM. */
  via?: 'admin' | 'audit' | 'lunacm';
  answers?: Answer[];
  /** The command, when the simulated unit needs another argument than the transcript's. */
  command?: string;
  /** Values that differ between the transcript and the simulated unit: replaced on both sides. */
  masks?: [RegExp, string][];
  /** Compare only the lines that are not blank (a transcript whose page double-spaced it). */
  nonBlank?: boolean;
  /** The transcript elides lines: a line "..." stands for any number of the simulator's lines. */
  elided?: boolean;
  after?: () => Promise<void> | void;
}
type Contract = Case | { notAnswered: string };

const storage: [RegExp, string] = [/^(\d+ +\S+ +\S+ +\d+) +\d+ +\d+ +\d+$/gm, '$1 <storage>'];
const ntpValues: [RegExp, string][] = [
  [/^([ *])(\S+ +\S+ +\d+ [a-z]) .*$/gm, '$1$2 <when poll reach delay offset jitter>'],
  [/^ {2}time .*$/m, '  time <ntp timestamp and local time>'],
];

const CONTRACT: Record<string, Contract> = {
  // --- lunash: hsm -----------------------------------------------------------------------------
  'hsm-show-7.2-zeroized': {
    given: () =>
      set({
        zeroized: true,
        label: null,
        serial: '572413',
        firmware: '7.0.3',
        model: 'Luna K7',
        softwareVersion: '7.2.0-220',
        partitions: [],
        clients: [],
      }),
    after: () => initialiseDirectly(sim),
  },
  'hsm-show-7.x-initialised': {
    given: async () => {
      set({
        serial: '572413',
        softwareVersion: '7.2.0-220',
        partitions: [partition('payments', '1582775433934'), partition('tokens', '1582775433935')],
      });
      await login();
    },
    after: logout,
  },
  'hsm-show-5.1-zeroized': {
    notAnswered:
      'a Luna SA 5.1 unit (no HSM Model, no partition counts): the simulated unit is a Luna 7, as hsm-show-7.2-zeroized',
  },
  'hsm-show-5.3-initialised': {
    notAnswered: 'a Luna SA 5.3 unit (Hardware Model, no partition counts): the simulated unit is a Luna 7',
  },
  'hsm-show-6.2-initialised': {
    notAnswered: 'a Luna SA 6.2 unit as a page printed it (indentation lost): the simulated unit is a Luna 7',
  },
  'hsm-login': { answers: [soPassword], after: logout },
  'error-hsm-login-wrong-password': {
    answers: [{ prompt: /password:\s*>\s*$/i, reply: 'not-the-password' }],
    after: () => set({ hsmSoLoginAttemptsLeft: 3 }),
  },
  'error-hsm-login-zeroizing': {
    given: () => set({ hsmSoLoginAttemptsLeft: 1 }),
    answers: [proceed, { prompt: /password:\s*>\s*$/i, reply: 'not-the-password' }],
    after: () => initialiseDirectly(sim),
  },
  'hsm-init': {
    given: () => set({ zeroized: true, label: null, hsmSoPassword: null, partitions: [] }),
    answers: [
      { prompt: /password for the HSM Administrator:\s*>\s*$/, reply: SECRETS.TEST_HSM_SO_PASSWORD },
      { prompt: /re-enter password to confirm:\s*>\s*$/, reply: SECRETS.TEST_HSM_SO_PASSWORD },
      { prompt: /cloning domain to use for initializing this HSM:\s*>\s*$/, reply: SECRETS.TEST_HSM_DOMAIN },
      { prompt: /re-enter cloning domain to confirm:\s*>\s*$/, reply: SECRETS.TEST_HSM_DOMAIN },
      proceed,
    ],
    after: () => initialiseDirectly(sim),
  },
  'hsm-zeroize': {
    given: () => set({ zeroizeDisabled: false }),
    answers: [proceed],
    after: () => initialiseDirectly(sim),
  },
  'hsm-showpolicies-6.x': {
    notAnswered:
      'the simulator prints showPolicies as firmware 6.20.2 does (hsm-showpolicies-6.20-elided: every line indented, the texts wrapped, the header over the values); this 6.2.2 page lost the indentation and the wrapping',
  },
  'hsm-showpolicies-6.20-elided': {
    elided: true,
    given: () => set({ policies: { 15: '1' } }),
    masks: [[/^ {0,3}(HSM Label|Serial #|Firmware):( +).*$/gm, '   $1:$2<value>']],
    after: () => set({ policies: {} }),
  },
  'hsm-changepolicy-destructive-6.2': {
    given: login,
    answers: [proceed],
    nonBlank: true,
    after: async () => (set({ policies: {} }), logout()),
  },
  'hsm-stc-status': { given: () => set({ firmware: '7.0.3', stcEnabled: true }) },
  'hsm-stc-disable': {
    given: async () => (set({ firmware: '7.0.3', stcEnabled: true }), login()),
    answers: [proceed],
    after: logout,
  },
  'hsm-firmware-show': { given: () => set({ firmware: '7.0.3', rollbackFirmware: null, upgradeFirmware: '7.8.4' }) },
  'hsm-firmware-show-upgraded': {
    given: () => set({ firmware: '7.8.4', rollbackFirmware: '7.0.3', upgradeFirmware: null }),
    after: () => set({ firmware: '7.0.3', rollbackFirmware: null }),
  },
  'hsm-firmware-upgrade': {
    given: async () => (
      set({
        firmware: '7.0.3',
        rollbackFirmware: null,
        upgradeFirmware: '7.8.4',
        pendingSoftware: null,
        stcEnabled: false,
      }),
      login()
    ),
    answers: [proceed],
    after: () => set({ firmware: '7.0.3', rollbackFirmware: null, upgradeFirmware: null }),
  },
  // --- lunash: partitions and clients ---------------------------------------------------------
  'partition-list-7.x': {
    given: () => set({ partitions: [partition('sp_sehsm3', '1582775433934', 23)] }),
    masks: [storage],
  },
  'partition-list-empty': { given: () => set({ partitions: [] }) },
  'partition-list-5.x': {
    notAnswered:
      'the Luna SA 5.x layout (one full-width rule): the simulated unit prints the 7.x one, as partition-list-7.x',
  },
  'partition-list-6.2': {
    notAnswered:
      'the Luna SA 6.2 layout as a page printed it (tabs, a shortened rule): the simulated unit prints the 7.x one',
  },
  'partition-create': {
    given: async () => (set({ partitions: [] }), login()),
    answers: [proceed],
    after: async () => (set({ partitions: [] }), logout()),
  },
  'client-register': {
    given: () =>
      set({
        clients: [],
        files: {
          'app01.example.com.pem': {
            sha256: 'x',
            size: 1,
            complete: true,
            content: readFileSync(CLIENT_CERTIFICATES.app01, 'utf8'),
          },
        },
      }),
    after: () => set({ clients: [], files: {} }),
  },
  'client-assignpartition': {
    given: () =>
      set({
        partitions: [partition('KeylessSSL', '1582775433934')],
        clients: [{ name: 'azure-keyless', host: 'azure-keyless', partitions: [] }],
      }),
  },
  'client-revokepartition': {
    given: () =>
      set({
        partitions: [partition('payments', '1500000000001')],
        clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
      }),
  },
  'client-show-7.x': {
    given: () =>
      set({
        partitions: [partition('sp_sehsm3', '1')],
        clients: [
          { name: 'vciphertrust-i.daenerys.home', host: 'vciphertrust-i.daenerys.home', partitions: ['sp_sehsm3'] },
        ],
      }),
  },
  'client-show-partitions-5.x': {
    given: () =>
      set({
        partitions: ['clientPar1', 'clientPar2', 'clientPar3'].map((p, i) => partition(p, String(i + 1))),
        clients: [{ name: 'client1', host: 'client1', partitions: ['clientPar1', 'clientPar2', 'clientPar3'] }],
      }),
  },
  'client-show-no-partitions-5.x': {
    given: () => set({ clients: [{ name: 'client2', host: 'client2', partitions: [] }] }),
  },
  'error-client-show-not-registered': { given: () => set({ clients: [] }) },
  'client-fingerprint-5.x': {
    given: () =>
      set({
        clients: [
          {
            name: 'client1',
            host: 'client1',
            partitions: [],
            certificateFingerprint: 'D9:9E:25:B3:A9:68:06:50:8F:C4:90:FC:E5:50:E2:BC',
          },
        ],
      }),
  },
  'error-client-fingerprint-not-registered': { given: () => set({ clients: [] }) },
  // --- lunash: logs, time, packages, network --------------------------------------------------
  'syslog-remotehost-list-5.3': {
    given: () =>
      set({
        syslogHosts: [
          { host: '54.208.217.148', port: 514, protocol: 'udp' },
          { host: '10.0.106.107', port: 514, protocol: 'udp' },
        ],
      }),
  },
  'syslog-remotehost-list-empty': { given: () => set({ syslogHosts: [] }) },
  'syslog-remotehost-list-5.1': {
    notAnswered:
      'Luna SA 5.1 lists hosts only, under another heading: the simulated unit prints the 5.3-and-later form, as syslog-remotehost-list-5.3',
  },
  'syslog-remotehost-add-5.3': {
    notAnswered:
      'the service notices a Luna SA 5.3 unit prints before the result (its SysV init scripts): no capture shows what a Luna 7 prints there, so the simulator prints only the two lines after them',
  },
  'syslog-tail-lunalogs': {
    given: () => set({ name: 'myLuna' }),
    masks: [
      [
        /^\d{4} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ {2}local5 info {2}lunash \[\d+\]: info : \d+ : (?:Command: .+|Lush user login) {1,2}: \S+ : \S+$/gm,
        '<a lunalogs line: when, host, result, what, user, from where>',
      ],
    ],
  },
  'sysconf-ntp-status-5.1': {
    given: () => set({ ntp: { enabled: true, running: true, servers: ['54.208.217.148'], synchronised: false } }),
    masks: ntpValues,
  },
  'sysconf-ntp-status-not-running-5.1': {
    given: () => set({ ntp: { enabled: false, running: false, servers: ['54.208.217.148'], synchronised: false } }),
    masks: ntpValues,
  },
  'audit-log-list': {
    via: 'audit',
    given: () =>
      set({
        serial: '1238475',
        audit: [{ at: '2026-11-29T10:00:01.000Z', user: 'tenantadmin', command: 'hsm show', result: 0 }],
      }),
    masks: [[/^(hsm_\d+_\d+\.log) +\d+$/m, '$1 <size>']],
  },
  'audit-log-list-empty': { via: 'audit', given: () => set({ audit: [] }) },
  'audit-log-tail': {
    via: 'audit',
    given: () =>
      set({
        serial: '1238475',
        audit: [
          { at: '2026-11-29T10:00:01.000Z', user: 'tenantadmin', command: 'hsm show', result: 0 },
          {
            at: '2026-11-29T10:00:02.000Z',
            user: 'tenantadmin',
            command: 'syslog tail -logname messages -entries 500',
            result: 0,
          },
        ],
      }),
  },
  'package-listfile': {
    given: () => set({ files: { 'lunahsm_update-7.8.4-12.spkg': { sha256: 'x', size: 28000, complete: true } } }),
  },
  'package-listfile-empty': { given: () => set({ files: {} }) },
  'package-list': { given: () => set({ packages: ['lunasa-reboot-patch-3'] }) },
  'package-list-empty': {
    given: () => set({ packages: [] }),
    after: () => set({ packages: ['lunasa-reboot-patch-3'] }),
  },
  'package-verify': {
    given: async () => (
      set({ files: { 'lunahsm_update-7.8.4-20.spkg': { sha256: 'x', size: 28000, complete: true } } }),
      await login()
    ),
    after: async () => (set({ files: {} }), await logout()),
  },
  'package-update-5.1': {
    notAnswered:
      "a Luna SA 5.1.3 update (its installer's lines, no one-way warning): the simulated unit asks the 7.x one-way question first (Thales' package update page) and prints the capture's first and last lines only",
  },
  'network-route-show': {},
  'network-route-show-two-defaults': {
    given: () =>
      sim.appliance.state.update((s) => {
        s.routes = [
          { destination: '0.0.0.0', gateway: '10.0.2.1', genmask: '0.0.0.0', flags: 'UG', iface: 'eth0' },
          { destination: '10.0.2.0', gateway: '0.0.0.0', genmask: '255.255.255.0', flags: 'U', iface: 'eth0' },
          { destination: '0.0.0.0', gateway: '10.0.3.1', genmask: '0.0.0.0', flags: 'UG', iface: 'eth1' },
          { destination: '10.0.3.0', gateway: '0.0.0.0', genmask: '255.255.255.0', flags: 'U', iface: 'eth1' },
        ];
      }),
    after: () => sim.appliance.state.update((s) => void (s.routes = s.routes.slice(0, 2))),
  },
  'client-list': {
    given: () => set({ clients: ['app01', 'backup-ws'].map((name) => ({ name, host: name, partitions: [] })) }),
  },
  // --- lunash: hsm-init's NTLS certificate and audit logging ------------------------------------
  'sysconf-regencert': { answers: [proceed] },
  'ntls-bind': { after: () => sim.appliance.state.update((s) => void (s.ntls.binding = 'all')) },
  'service-restart-ntls': {},
  'audit-init': {
    via: 'audit',
    answers: [
      { prompt: /enter a password for the Audit role:\s*>\s*$/, reply: AUDIT_ROLE },
      { prompt: /re-enter password to confirm:\s*>\s*$/, reply: AUDIT_ROLE },
      { prompt: /enter the audit domain:\s*>\s*$/, reply: AUDIT_ROLE },
      { prompt: /re-enter audit domain to confirm:\s*>\s*$/, reply: AUDIT_ROLE },
      proceed,
    ],
  },
  'audit-login': {
    via: 'audit',
    given: () => set({ auditRole: { password: AUDIT_ROLE, domain: AUDIT_ROLE } }),
    answers: [{ prompt: /enter the password:\s*>\s*$/, reply: AUDIT_ROLE }],
  },
  'audit-remotehost-add': { via: 'audit', given: auditorLogin, after: () => set({ auditRemoteHosts: [] }) },
  'audit-remotehost-list': {
    via: 'audit',
    given: async () => (
      await auditorLogin(),
      set({ auditRemoteHosts: [{ host: '192.20.9.160', port: 1660, protocol: 'tcp' }] })
    ),
    after: () => set({ auditRemoteHosts: [] }),
  },
  'hsm-showpolicies-7.x': { given: () => set({ label: 'HSM1', serial: '1238475', firmware: '7.0.3', policies: {} }) },
  // --- warnings a unit prints before its answer (the simulator's warnBefore fault) -------------
  'warning-hsm-show-7.x': {
    given: async () => {
      warn('hsm show');
      set({
        manuallyZeroized: false,
        serial: '572413',
        softwareVersion: '7.2.0-220',
        partitions: [partition('payments', '1582775433934'), partition('tokens', '1582775433935')],
      });
      await login();
    },
    // the transcript's unit has a low battery (that is its warning): the simulated unit's voltage is another
    masks: [[/^( {3}Battery Voltage: +)\S+ V$/m, '$1<volts> V']],
    nonBlank: true,
    after: logout,
  },
  'warning-partition-list-7.x': {
    given: () => (warn('partition list'), set({ partitions: [partition('sp_sehsm3', '1582775433934', 23)] })),
    masks: [storage],
    nonBlank: true,
  },
  'warning-partition-list-empty': {
    notAnswered:
      'a warning printed after the answer, just before the result line (a form the parsers accept, guessed): the simulator prints a warning before the answer only, as warning-partition-list-7.x',
  },
  'warning-client-show-7.x': {
    given: () => (
      warn('client show'),
      set({
        partitions: [partition('sp_sehsm3', '1')],
        clients: [
          { name: 'vciphertrust-i.daenerys.home', host: 'vciphertrust-i.daenerys.home', partitions: ['sp_sehsm3'] },
        ],
      })
    ),
    nonBlank: true,
  },
  'warning-partition-create': {
    given: async () => (warn('partition create'), set({ partitions: [] }), await login()),
    answers: [proceed],
    nonBlank: true,
    after: async () => (set({ partitions: [] }), logout()),
  },
  // asked last: the reboot ends every session (see the last test)
  'sysconf-appliance-reboot': { notAnswered: 'asked in a test of its own below (a reboot ends every session)' },
  // --- LunaCM on the backup workstation -------------------------------------------------------
  'lunacm-slot-list-7.1': {
    via: 'lunacm',
    given: async () => (await lunacm.run('slot set -slot 0'), set({ clients: [] })),
    masks: [[/^( {4}[A-Za-z ]+?) ->.*$/gm, '$1 -> <value>']],
  },
  'lunacm-slot-set': {
    via: 'lunacm',
    given: () =>
      set({
        partitions: [partition('payments', '1500000000001', 2)],
        clients: [{ name: 'backup-ws', host: 'backup-ws', partitions: ['payments'] }],
      }),
  },
  'lunacm-role-login': {
    via: 'lunacm',
    given: async () => void (await coOfPayments(), await lunacm.run('role logout')),
    answers: roleLoginAnswers(SECRETS.TEST_PARTITION_CO),
  },
  'lunacm-partition-archive-backup': {
    via: 'lunacm',
    given: async () => (sim.backup.state.update((s) => void (s.backups = [])), await coOfPayments()),
    answers: archiveBackupAnswers({
      so: SECRETS.TEST_BACKUP_HSM_SO,
      domain: SECRETS.TEST_PARTITION_DOMAIN,
      replacing: false,
    }),
  },
  'lunacm-partition-archive-backup-so-on-question': {
    notAnswered:
      "the Backup HSM's SO named on the question line itself (a second guess the client's answers accept): the simulator names the SO on the line before LunaCM's `enter password:`, as lunacm-partition-archive-backup",
  },
  'lunacm-partition-init': {
    notAnswered:
      "the partition owner's own command (LunaCM `partition init`, on the owner's client): no ceremony sends it, and the simulated workstation does not answer it",
  },
  'error-lunacm-archive-backup-domain-mismatch': {
    via: 'lunacm',
    given: async () => (sim.backup.state.update((s) => void (s.backups = [])), await coOfPayments()),
    answers: archiveBackupAnswers({ so: SECRETS.TEST_BACKUP_HSM_SO, domain: 'another-domain', replacing: false }),
  },
  'error-lunacm-object-exists': {
    via: 'lunacm',
    // the transcript's Backup HSM is slot 1; the simulated workstation's is slot 0
    command: 'partition archive backup -slot 0 -partition c-1-payments',
    given: async () => {
      await coOfPayments();
      sim.backup.state.update((s) => {
        s.backups = [
          {
            label: 'c-1-payments',
            domain: SECRETS.TEST_PARTITION_DOMAIN,
            objects: 2,
            sourceSerial: '1500000000001',
            sourcePartition: 'payments',
            sourceAppliance: 'hsm-sim-1',
            createdAt: new Date(0).toISOString(),
          },
        ];
      });
    },
  },
  'lunacm-partition-archive-list': {
    via: 'lunacm',
    given: () =>
      sim.backup.state.update((s) => {
        const known = {
          domain: SECRETS.TEST_PARTITION_DOMAIN,
          sourceSerial: '1500000000001',
          sourcePartition: 'payments',
          sourceAppliance: 'hsm-sim-1',
          createdAt: new Date(0).toISOString(),
        };
        s.backups = [
          { ...known, label: 'hsm-sim-1-payments-20261129-3f2a9c1d', objects: 42 },
          { ...known, label: 'hsm-sim-1-tokens-20261129-3f2a9c1d', objects: 0 },
        ];
      }),
  },
  'lunacm-partition-archive-restore': {
    via: 'lunacm',
    given: async () => {
      await coOfPayments();
      sim.backup.state.update((s) => {
        s.backups = [
          {
            label: 'hsm-sim-1-payments-20261129-3f2a9c1d',
            domain: SECRETS.TEST_PARTITION_DOMAIN,
            objects: 2,
            sourceSerial: '1500000000001',
            sourcePartition: 'payments',
            sourceAppliance: 'hsm-sim-1',
            createdAt: new Date(0).toISOString(),
          },
        ];
      });
    },
    answers: archiveRestoreAnswers({ so: SECRETS.TEST_BACKUP_HSM_SO, domain: SECRETS.TEST_PARTITION_DOMAIN }),
  },
  'lunacm-partition-archive-list-empty': {
    via: 'lunacm',
    given: () => sim.backup.state.update((s) => void (s.backups = [])),
  },
  'lunacm-partition-archive-delete': {
    via: 'lunacm',
    given: () =>
      sim.backup.state.update((s) => {
        s.backups = [
          {
            label: 'hsm-sim-1-payments-20260801-3f2a9c1d',
            domain: SECRETS.TEST_PARTITION_DOMAIN,
            objects: 42,
            sourceSerial: '1500000000001',
            sourcePartition: 'payments',
            sourceAppliance: 'hsm-sim-1',
            createdAt: new Date(0).toISOString(),
          },
        ];
      }),
    answers: archiveDeleteAnswers(SECRETS.TEST_BACKUP_HSM_SO),
  },
};

const fixtures = allFixtures();

test('every transcript has a contract case, or says why the simulated unit does not print it', () => {
  expect(fixtures.map((f) => f.name).filter((name) => !(name in CONTRACT))).toEqual([]);
  expect(Object.keys(CONTRACT).filter((name) => !fixtures.some((f) => f.name === name))).toEqual([]);
});

async function ask(f: Fixture, c: Case): Promise<string> {
  const shell = c.via === 'audit' ? audit : c.via === 'lunacm' ? lunacm : admin;
  return (await shell.run(c.command ?? f.command, { answers: c.answers, allowError: true })).output;
}

const answered = fixtures.filter((f) => CONTRACT[f.name] && !('notAnswered' in CONTRACT[f.name]));

test.each(answered.map((f) => [f.name, f] as const))(
  "%s: the simulator prints the transcript's lines",
  async (_name, f) => {
    const c = CONTRACT[f.name] as Case;
    await c.given?.();
    try {
      const out = await ask(f, c);
      const compare = (text: string) => shape(text, c.masks).filter((l) => !c.nonBlank || l.trim() !== '');
      if (!c.elided || !fitsElided(compare(out), compare(f.output))) expect(compare(out)).toEqual(compare(f.output));
    } finally {
      await c.after?.();
    }
  },
);

test("sysconf-appliance-reboot: the simulator prints the transcript's lines, then ends the session", async () => {
  const f = fixture('sysconf-appliance-reboot');
  const out = (await admin.run(f.command, { answers: [proceed], allowError: true, endsSession: true })).output;
  expect(shape(out)).toEqual(shape(f.output));
});
