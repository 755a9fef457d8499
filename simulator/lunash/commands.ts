import type { ApplianceState } from '../state';
import { CRLF, errorLine, heading, keyValues, SHELL_ERROR, SUCCESS, table } from './output';
import { LunaError, type CommandContext as GenericContext, type CommandSpec, type ShellDialect } from './shell';

type CommandContext = GenericContext<ApplianceState>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;
const MIN_PASSWORD = 8;

function requireName(value: string | true | undefined, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid ${what}: ${String(value)}`);
  return value;
}

function requireInitialised(state: ApplianceState): void {
  if (state.zeroized) throw new LunaError('C0000101', 'RC_HSM_NOT_INITIALIZED', 'The HSM is zeroized: initialise it with hsm init first.');
}

function requireSo(c: CommandContext): void {
  requireInitialised(c.state);
  if (!c.session.hsmLoggedIn) throw new LunaError('C0000100', 'RC_USER_NOT_LOGGED_IN', "HSM Admin is not logged in: run 'hsm login' first.");
}

const aborted = () => new LunaError('C0000001', 'RC_GENERAL_ERROR', 'Command aborted.');

function zeroize(state: ApplianceState, manual: boolean): void {
  state.zeroized = true;
  state.manuallyZeroized = manual;
  state.label = null;
  state.hsmSoPassword = null;
  state.hsmSoLoginAttemptsLeft = 3;
  state.partitions = [];
  for (const client of state.clients) client.partitions = [];
  state.policies = {};
}

async function readNewPassword(c: CommandContext, prompt: string): Promise<string> {
  const first = await c.io.ask(`${prompt}: `, { echo: false });
  const second = await c.io.ask('Please re-enter the password to confirm: ', { echo: false });
  if (first !== second) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'Passwords do not match.');
  if (first.length < MIN_PASSWORD) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Password must be at least ${MIN_PASSWORD} characters.`);
  return first;
}

function hsmShow(state: ApplianceState, session: { hsmLoggedIn: boolean }): string {
  const used = state.partitions.reduce((n, p) => n + p.objects * 1024, 0);
  const total = 33_554_432;
  return [
    '',
    ...heading('Appliance Details:'),
    ...keyValues([['Software Version', state.softwareVersion]]),
    '',
    ...heading('HSM Details:'),
    ...keyValues([
      ['HSM Label', state.label ?? 'no label'],
      ['Serial #', state.serial],
      ['Firmware', state.firmware],
      ['HSM Model', state.model],
      ['HSM Part Number', '808-000073-002'],
      ['Authentication Method', 'Password'],
      ['HSM Admin login status', session.hsmLoggedIn ? 'Logged In' : 'Not Logged In'],
      ['HSM Admin login attempts left', state.zeroized ? 'HSM IS ZEROIZED !!!!' : `${state.hsmSoLoginAttemptsLeft} before HSM zeroization!`],
      ['RPV Initialized', 'No'],
      ['Audit Role Initialized', 'No'],
      ['Remote Login Initialized', 'No'],
      ['Manually Zeroized', state.manuallyZeroized ? 'Yes' : 'No'],
      ['Secure Transport Mode', 'No'],
      ['HSM Tamper State', 'No tamper events'],
    ]),
    '',
    ...heading('Partitions created on HSM:'),
    ...state.partitions.map((p) => `   Partition:    ${p.serial}, Name: ${p.name}`),
    '',
    ...heading('FIPS 140-2 Operation:'),
    '   The HSM is NOT in FIPS 140-2 approved operation mode.',
    '',
    ...heading('HSM Storage Information:'),
    ...keyValues([
      ['Maximum HSM Storage Space (Bytes)', total],
      ['Space In Use (Bytes)', used],
      ['Free Space Left (Bytes)', total - used],
    ]),
    '',
    ...keyValues([
      ['Number of partitions allowed', state.licence.licensedPartitions],
      ['Number of partitions created', state.partitions.length],
    ]),
  ].join(CRLF);
}

/** A few HSM policies (code, description, default); the state keeps changed values. */
const HSM_POLICIES: [number, string, number][] = [
  [7, 'Allow cloning', 1],
  [12, 'Allow non-FIPS algorithms', 1],
  [15, 'SO can reset partition PIN', 0],
  [16, 'Allow network authentication', 1],
  [22, 'Allow Secure Trusted Channel', 0],
  [39, 'Allow Secure Messaging', 0],
];

export const COMMANDS: CommandSpec<ApplianceState>[] = [
  {
    words: ['hsm', 'showPolicies'],
    run: async (c) => {
      requireInitialised(c.state);
      return table(
        ['Code', 'Description', 'Value'],
        HSM_POLICIES.map(([code, description, value]) => [String(code), description, c.state.policies[code] ?? String(value)]),
      ).join(CRLF);
    },
  },
  {
    words: ['hsm', 'changePolicy'],
    options: { policy: 'value', value: 'value', force: 'flag' },
    required: ['policy', 'value'],
    adminOnly: true,
    run: async (c) => {
      requireSo(c);
      const code = Number(c.options.policy);
      const value = String(c.options.value);
      if (!HSM_POLICIES.some(([p]) => p === code)) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Unknown policy ${String(c.options.policy)}.`);
      if (value !== '0' && value !== '1') throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid policy value ${value}.`);
      if (!(await c.confirm(`change HSM policy ${code} to ${value}?`))) throw aborted();
      c.state.policies[code] = value;
      return "'hsm changePolicy' successful.";
    },
  },
  {
    words: ['hsm', 'show'],
    run: async (c) => hsmShow(c.state, c.session),
  },
  {
    words: ['hsm', 'login'],
    adminOnly: true,
    run: async (c) => {
      requireInitialised(c.state);
      const password = await c.io.ask('Please enter the HSM Administrators\' password:' + CRLF + '> ', { echo: false });
      if (password === c.state.hsmSoPassword) {
        c.state.hsmSoLoginAttemptsLeft = 3;
        c.session.hsmLoggedIn = true;
        return "'hsm login' successful.";
      }
      c.state.hsmSoLoginAttemptsLeft -= 1;
      if (c.state.hsmSoLoginAttemptsLeft <= 0) {
        zeroize(c.state, false);
        // as on the appliance: the zeroizing login still ends with result 0; the Error line tells
        return `Error:  'hsm login' failed. (C0000022 : RC_SO_LOGIN_FAILURE_THRESHOLD)${CRLF}HSM IS ZEROIZED !!!!`;
      }
      throw new LunaError('C000001E', 'RC_INCORRECT_PASSWORD', `HSM Admin login attempts left: ${c.state.hsmSoLoginAttemptsLeft} before HSM zeroization!`);
    },
  },
  {
    words: ['hsm', 'logout'],
    run: async (c) => {
      c.session.hsmLoggedIn = false;
      return "'hsm logout' successful.";
    },
  },
  {
    words: ['hsm', 'init'],
    options: { label: 'value', force: 'flag' },
    required: ['label'],
    adminOnly: true,
    run: async (c) => {
      const label = requireName(c.options.label, 'label');
      if (!c.state.zeroized && !c.session.hsmLoggedIn) {
        throw new LunaError('C0000100', 'RC_USER_NOT_LOGGED_IN', 'The HSM is initialised: log in as HSM Admin to re-initialise it.');
      }
      const password = c.state.zeroized ? await readNewPassword(c, 'Please enter a password for the HSM Administrator') : c.state.hsmSoPassword!;
      if (!(await c.confirm(`re-initialize this HSM? All partitions and their contents will be destroyed.`))) throw aborted();
      zeroize(c.state, false);
      c.state.zeroized = false;
      c.state.label = label;
      c.state.hsmSoPassword = password;
      c.session.hsmLoggedIn = false;
      return "'hsm init' successful.";
    },
  },
  {
    words: ['hsm', 'zeroize'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      if (!(await c.confirm('zeroize this HSM? All partitions and all key material will be destroyed.'))) throw aborted();
      zeroize(c.state, true);
      c.session.hsmLoggedIn = false;
      return "'hsm zeroize' successful.";
    },
  },
  {
    words: ['hsm', 'factoryReset'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async () => {
      throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', "'hsm factoryReset' is only available on the local serial console.");
    },
  },
  {
    words: ['hsm', 'stc', 'disable'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      c.state.stcEnabled = false;
      return 'STC disabled.';
    },
  },
  {
    words: ['partition', 'create'],
    options: { partition: 'value', force: 'flag' },
    required: ['partition'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.partition, 'partition name');
      requireSo(c);
      if (c.state.partitions.some((p) => p.name === name)) throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `Partition ${name} already exists.`);
      const { licensedPartitions } = c.state.licence;
      if (c.state.partitions.length >= licensedPartitions) {
        throw new LunaError('C0000402', 'RC_PARTITION_LIMIT_REACHED', `This HSM is licensed for ${licensedPartitions} partitions; all are in use.`);
      }
      if (!(await c.confirm(`create a partition named ${name}?`))) throw aborted();
      const next = c.state.partitions.reduce((n, p) => Math.max(n, Number(p.serial.slice(-3))), 0) + 1;
      c.state.partitions.push({ name, serial: `${c.state.serial}${String(next).padStart(3, '0')}`, objects: 0, createdAt: new Date().toISOString() });
      return "'partition create' successful.";
    },
  },
  {
    words: ['partition', 'list'],
    run: async (c) => {
      requireInitialised(c.state);
      if (c.state.partitions.length === 0) return 'There are no partitions.';
      return table(
        ['Partition', 'Name', 'Objects', 'Status'],
        c.state.partitions.map((p) => [p.serial, p.name, String(p.objects), 'Activated']),
      ).join(CRLF);
    },
  },
  {
    words: ['partition', 'show'],
    options: { partition: 'value' },
    run: async (c) => {
      requireInitialised(c.state);
      const wanted = c.options.partition === undefined ? undefined : requireName(c.options.partition, 'partition name');
      const list = wanted ? c.state.partitions.filter((p) => p.name === wanted) : c.state.partitions;
      if (wanted && list.length === 0) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${wanted} does not exist.`);
      return list
        .flatMap((p) => [
          '',
          ...keyValues([
            ['Partition Name', p.name],
            ['Partition SN', p.serial],
            ['Partition Label', p.name],
            ['Total Storage Size (Bytes)', 102_400],
            ['Used Storage Size (Bytes)', p.objects * 1024],
            ['Number of objects', p.objects],
          ], '   ', 32),
        ])
        .join(CRLF);
    },
  },
  {
    words: ['partition', 'delete'],
    options: { partition: 'value', force: 'flag' },
    required: ['partition'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.partition, 'partition name');
      requireSo(c);
      if (!c.state.partitions.some((p) => p.name === name)) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${name} does not exist.`);
      if (!(await c.confirm(`delete partition ${name}? All its objects will be destroyed.`))) throw aborted();
      c.state.partitions = c.state.partitions.filter((p) => p.name !== name);
      for (const client of c.state.clients) client.partitions = client.partitions.filter((p) => p !== name);
      return "'partition delete' successful.";
    },
  },
  {
    words: ['client', 'register'],
    options: { client: 'value', hostname: 'value', ip: 'value' },
    required: ['client'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const host = c.options.hostname ?? c.options.ip;
      if (typeof host !== 'string' || !HOST.test(host)) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'Give -hostname <host> or -ip <address>.');
      if (c.state.clients.some((cl) => cl.name === name)) throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `Client ${name} is already registered.`);
      c.state.clients.push({ name, host, partitions: [] });
      return "'client register' successful.";
    },
  },
  {
    words: ['client', 'assignPartition'],
    options: { client: 'value', partition: 'value' },
    required: ['client', 'partition'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const partition = requireName(c.options.partition, 'partition name');
      const client = c.state.clients.find((cl) => cl.name === name);
      if (!client) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Client ${name} is not registered.`);
      if (!c.state.partitions.some((p) => p.name === partition)) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${partition} does not exist.`);
      if (client.partitions.includes(partition)) throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `Partition ${partition} is already assigned to ${name}.`);
      client.partitions.push(partition);
      return "'client assignPartition' successful.";
    },
  },
  {
    words: ['client', 'list'],
    run: async (c) => (c.state.clients.length === 0 ? 'No clients registered.' : c.state.clients.map((cl, i) => `registered client ${i + 1}: ${cl.name}`).join(CRLF)),
  },
  {
    words: ['client', 'show'],
    options: { client: 'value' },
    required: ['client'],
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const client = c.state.clients.find((cl) => cl.name === name);
      if (!client) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST');
      return [
        ...keyValues([['ClientID', client.name], ['Hostname', client.host], ['Partitions', client.partitions.map((p) => `"${p}"`).join(',')]], '', 12),
      ].join(CRLF);
    },
  },
  {
    words: ['syslog', 'remotehost', 'add'],
    options: { host: 'value', port: 'value', protocol: 'value' },
    required: ['host'],
    adminOnly: true,
    run: async (c) => {
      const host = c.options.host;
      if (typeof host !== 'string' || !HOST.test(host)) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid host: ${String(host)}`);
      const port = c.options.port === undefined ? 514 : Number(c.options.port);
      const protocol = c.options.protocol === undefined ? 'udp' : String(c.options.protocol).toLowerCase();
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid port: ${String(c.options.port)}`);
      if (protocol !== 'udp' && protocol !== 'tcp') throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid protocol: ${protocol}`);
      if (c.state.syslogHosts.some((h) => h.host === host)) throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `${host} is already a remote logging server.`);
      c.state.syslogHosts.push({ host, port, protocol });
      return `${host} added to the remote logging servers.`;
    },
  },
  {
    words: ['syslog', 'remotehost', 'list'],
    run: async (c) =>
      c.state.syslogHosts.length === 0
        ? 'No remote logging servers configured.'
        : table(['Remote Host', 'Protocol', 'Port'], c.state.syslogHosts.map((h) => [h.host, h.protocol, String(h.port)])).join(CRLF),
  },
  {
    words: ['user', 'password'],
    positional: 1,
    run: async (c) => {
      const target = c.positional[0] ?? c.user;
      const user = c.state.users[target];
      if (!user) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `User ${target} does not exist.`);
      if (target !== c.user && c.state.users[c.user]?.role !== 'admin') throw new LunaError('C0000005', 'RC_ACCESS_DENIED', 'Only an admin can change another user\'s password.');
      if (target === c.user) {
        const current = await c.io.ask(`Changing password for user ${target}.${CRLF}Current password: `, { echo: false });
        if (current !== user.password) throw new LunaError('C000001E', 'RC_INCORRECT_PASSWORD', 'Authentication token manipulation error.');
      }
      const next = await readNewPassword(c, 'Enter new password');
      if (next === user.password) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'The new password must differ from the old one.');
      user.password = next;
      user.mustChangePassword = false;
      return 'passwd: all authentication tokens updated successfully.';
    },
  },
  {
    words: ['user', 'list'],
    run: async (c) =>
      table(['Users', 'Roles', 'Status', 'Full Name'], Object.entries(c.state.users).map(([name, u]) => [name, u.role, u.enabled ? 'enabled' : 'disabled', name])).join(CRLF),
  },
  {
    words: ['status', 'sysstat', 'show'],
    run: async (c) =>
      [
        ...keyValues([['Appliance status', 'OK'], ['HSM status', c.state.zeroized ? 'ZEROIZED' : 'OK'], ['Uptime', 'up 12 days']], '   ', 20),
      ].join(CRLF),
  },
  {
    words: ['sysconf', 'appliance', 'reboot'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      if (!(await c.confirm('reboot the appliance?'))) throw aborted();
      // a hung reboot (the Azure case) only ends with a physical power cycle (simulator CLI)
      c.state.reboot = { until: c.faults.rebootHangs ? null : new Date(Date.now() + c.faults.rebootMs).toISOString() };
      c.afterOutput(() => c.disconnect());
      return 'Reboot commencing';
    },
  },
  {
    words: ['package', 'listfile'],
    run: async (c) =>
      Object.keys(c.state.files).length === 0
        ? 'No package files found.'
        : table(['File', 'Size'], Object.entries(c.state.files).map(([name, f]) => [name, String(f.size)])).join(CRLF),
  },
  {
    words: ['package', 'update'],
    positional: 1,
    options: { authcode: 'value', useevp: 'flag' },
    required: ['authcode'],
    adminOnly: true,
    run: async (c) => {
      const file = c.positional[0];
      if (!file || !(file in c.state.files)) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Package file ${String(file)} not found: upload it with scp/sftp first.`);
      const version = /(\d+\.\d+\.\d+)/.exec(file)?.[1];
      if (!version) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `${file} is not an update package.`);
      if (!/^[A-Za-z0-9]{6,32}$/.test(String(c.options.authcode))) throw new LunaError('C0000A01', 'RC_SECURITY_PARAMETER_INVALID', 'Invalid authorization code.');
      if (c.state.stcEnabled) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', "Disable STC first: 'hsm stc disable'.");
      c.state.pendingUpdate = { file, firmware: version };
      return ['Verifying that the package is signed by Thales...', 'Installing package...', 'SOFTWARE UPDATE COMPLETED!', '', "Reboot the appliance to complete the update: 'sysconf appliance reboot'"].join(CRLF);
    },
  },
  {
    words: ['hsm', 'update', 'show'],
    run: async (c) => (c.state.pendingUpdate ? `Pending update: ${c.state.pendingUpdate.file} (firmware ${c.state.pendingUpdate.firmware}); reboot to apply.` : 'No updates pending.'),
  },
  {
    words: ['exit'],
    run: async () => '',
  },
];

/** lunash, the appliance shell. */
export const LUNASH: ShellDialect<ApplianceState> = {
  commands: COMMANDS,
  success: SUCCESS,
  failure: () => SHELL_ERROR,
  errorLine,
  role: (state, user) => state.users[user]?.role,
};
