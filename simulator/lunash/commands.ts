import type { ApplianceState, PartitionState } from '../state';
import { HSM_POLICIES as POLICY_TABLE } from './hsm-policies';
import {
  auditLogList,
  clientShow,
  firmwareShow,
  HSM_SHOW,
  packageList,
  packageListfile,
  partitionList as partitionListLines,
  routeTable,
  showPolicies,
} from './shapes';
import { auditLogFile, auditLogRecords, certificateFingerprint, logLines, ntpStatus } from './appliance-logs';
import { compareVersions, hasStcAdminChannel } from '../versions';
import { CRLF, errorLine, heading, keyValues, SHELL_ERROR, SUCCESS } from './output';
import { LunaError, type CommandContext as GenericContext, type CommandSpec, type ShellDialect } from './shell';
import { INIT_COMMANDS } from './init-commands';
import { aborted, readSecretTwice, warning } from './prompts';

// lunash commands of a Luna Network HSM 7 appliance. Output shapes follow captures of real
// appliances (5.x-7.8) and Thales' docs where they exist; the tables and fixed texts are written
// out in ./shapes.ts, each from its source (nothing is shared with the client's parsers). Shapes
// no source showed (hsm zeroize, status sysstat show, package listfile and list, hsm stc status,
// network route show, the answer to a non-"proceed") are our best guess, marked "inferred" or
// "guessed". simulator/SOURCES.md lists every command with its source.

type CommandContext = GenericContext<ApplianceState>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

function requireName(value: string | true | undefined, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid ${what}: ${String(value)}`);
  return value;
}

function requireInitialised(state: ApplianceState): void {
  if (state.zeroized)
    throw new LunaError(
      'C0000101',
      'RC_HSM_NOT_INITIALIZED',
      'The HSM is zeroized: initialize it with hsm init first.',
    );
}

function requireSo(c: CommandContext): void {
  requireInitialised(c.state);
  // inferred: no capture shows the exact code of this refusal
  if (!c.session.hsmLoggedIn)
    throw new LunaError(
      '10000',
      'LUNA_RET_USER_NOT_LOGGED_IN',
      "The HSM Administrator is not logged in: run 'hsm login' first.",
    );
}

/** `client assignPartition` / `client revokePartition`: a registered client and a partition name,
 * then the change. */
function clientPartitionCommand(
  word: string,
  change: (c: CommandContext, client: ApplianceState['clients'][number], partition: string) => void,
): CommandSpec<ApplianceState> {
  return {
    words: ['client', word],
    options: { client: 'value', partition: 'value' },
    required: ['client', 'partition'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const partition = requireName(c.options.partition, 'partition name');
      const client = c.state.clients.find((cl) => cl.name === name);
      if (!client) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', 'The client you specified does not exist.');
      change(c, client, partition);
      return `${CRLF}'client ${word}' successful.`;
    },
  };
}

/** Style A confirmation ("CAUTION: ... Type 'proceed' to ..."), as hsm init and client delete print it. */
function caution(question: string | null, verb: string, note?: string): string {
  const ask = question
    ? `CAUTION:  Are you sure you wish to ${question}?${CRLF}${note ? `          ${note}${CRLF}` : ''}${CRLF}`
    : `${CRLF}`;
  return `${CRLF}${ask}          Type 'proceed' to ${verb}, or${CRLF}          'quit' to quit now.${CRLF}          > `;
}

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

/** "The STC admin channel is configurable using ... Luna HSM Firmware 7.4.2 and older. This
 * feature is not available in Luna HSM Firmware 7.7.0 and newer." (the refusal's words guessed) */
function requireStcAdminChannel(state: ApplianceState): void {
  if (!hasStcAdminChannel(state.firmware))
    throw new LunaError(
      'C0000005',
      'RC_ACCESS_DENIED',
      `The STC admin channel is not available with firmware ${state.firmware}.`,
    );
}

/** What `package update` prints first (CloudHSM 5.x, 5.1.3 capture); `package verify` likewise (guessed). */
const PACKAGE_CHECKED = [
  'Command succeeded:  decrypt package',
  '',
  'Command succeeded:  verify package certificate',
  '',
  'Command succeeded:  verify package signature',
];

/** The first line as Thales' 7.x `package update` page shows it; the rest guessed. */
const ONE_WAY_WARNING = `${CRLF}WARNING!!  Appliance software upgrade is a one-way operation: you${CRLF}cannot downgrade the appliance software.${CRLF}${CRLF}Type 'proceed' to continue, or 'quit' to quit now.${CRLF}> `;

/** An uploaded package that decrypts with its authcode: a copy cut short does not. Its versions
 * come from its name (`lunahsm_update-7.8.4-20.spkg`: software 7.8.4-20 with firmware 7.8.4); a
 * `lunafw_update-7.7.1-20.spkg` is a firmware-only secure package (like firmware 7.7.1-20's), which
 * carries no appliance software. Both names guessed. */
function readablePackage(c: CommandContext): {
  file: string;
  software: string;
  firmware: string;
  firmwareOnly: boolean;
} {
  const file = c.positional[0];
  const stored = file === undefined ? undefined : c.state.files[file];
  if (!file || !stored)
    throw new LunaError(
      'C000040A',
      'RC_OBJECT_NOT_IN_LIST',
      `Package file ${String(file)} not found: copy it to the appliance with scp first.`,
    );
  const version = /(\d+\.\d+\.\d+)(?:-(\d+))?/.exec(file);
  if (!version) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `${file} is not an update package.`);
  if (!/^[A-Za-z0-9/+]{6,32}$/.test(String(c.options.authcode)) || !stored.complete)
    throw new LunaError('C0000A01', 'RC_SECURITY_PARAMETER_INVALID', 'Command failed:  decrypt package');
  return {
    file,
    software: version[2] ? `${version[1]}-${version[2]}` : version[1],
    firmware: version[1],
    firmwareOnly: file.startsWith('lunafw_'),
  };
}

/** While the HSM restarts onto new firmware its commands fail (the words and code guessed). */
function requireHsmUp(state: ApplianceState): void {
  if (state.hsmRestartingUntil === null) return;
  if (Date.parse(state.hsmRestartingUntil) > Date.now())
    throw new LunaError('C0000001', 'RC_GENERAL_ERROR', 'The HSM is restarting: try again shortly.');
  state.hsmRestartingUntil = null;
}

/** Without -useevp, package verification "is referred to the HSM", which needs the HSM SO logged
 * in ("-useevp ... without need for HSM SO login": Thales 7 `package update`; the 7.7.1-20 notes log
 * in as the HSM SO before `package verify`). */
function requireSoUnlessEvp(c: CommandContext): void {
  if (!c.options.useevp) requireSo(c);
}

/** Luna's appliance password rule: 8+ characters from 3 of the 4 classes. */
function passwordProblem(password: string): string | undefined {
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 8) return 'The password must be at least 8 characters long.';
  if (classes < 3) return 'The password must contain characters from at least 3 of the following 4 categories.';
  return undefined;
}

export const PASSWORD_RULES = [
  'You can now choose the new password.',
  '',
  'The password must be at least 8 characters long.',
  'The password must contain characters from at least 3 of the following 4 categories:',
  '    - Uppercase letters (A through Z)',
  '    - Lowercase letters (a through z)',
  '    - Numbers (0 through 9)',
  '    - Non-alphanumeric characters (such as !, $, #, %)',
  '',
].join(CRLF);

/** "New password:" / "Retype new password:", as Linux passwd under lunash asks. */
export async function readNewUserPassword(
  ask: (prompt: string) => Promise<string>,
): Promise<{ password?: string; problem?: string }> {
  const first = await ask('New password: ');
  const second = await ask('Retype new password: ');
  if (first !== second) return { problem: 'Sorry, passwords do not match.' };
  const problem = passwordProblem(first);
  return problem ? { problem: `BAD PASSWORD: ${problem}` } : { password: first };
}

/** Thales: without -size a partition gets "an equal share of the total HSM memory" per licence;
 * each needs 9648 bytes for its own security and identity information. */
const defaultPartitionSize = (state: ApplianceState) =>
  Math.floor(state.storageTotal / state.licence.licensedPartitions);
const partitionSize = (state: ApplianceState, p: PartitionState) => p.size ?? defaultPartitionSize(state);
const storageUsed = (state: ApplianceState) => state.partitions.reduce((n, p) => n + partitionSize(state, p), 0);

function hsmShow(state: ApplianceState, session: { hsmLoggedIn: boolean }): string {
  const used = storageUsed(state);
  const total = state.storageTotal;
  return [
    '',
    ...heading('Appliance Details:'),
    ...keyValues([['Software Version', state.softwareVersion]], '   ', 33),
    '',
    ...heading('HSM Details:'),
    ...keyValues(
      [
        ['HSM Label', state.label ?? ''],
        ['Serial #', state.serial],
        ['Firmware', state.firmware],
        ['HSM Model', state.model],
        ['HSM Part Number', '808-000066-001'],
        ['Authentication Method', 'Password'],
        ['HSM Admin login status', session.hsmLoggedIn ? 'Logged In' : 'Not Logged In'],
        [
          'HSM Admin login attempts left',
          state.zeroized ? HSM_SHOW.zeroized : HSM_SHOW.attemptsLeft(state.hsmSoLoginAttemptsLeft),
        ],
        ['RPV Initialized', 'No'],
        ['Audit Role Initialized', state.auditRole ? 'Yes' : 'No'],
        ['Remote Login Initialized', 'No'],
        ['Manually Zeroized', state.manuallyZeroized ? 'Yes' : 'No'],
        ['Secure Transport Mode', 'No'],
        ['HSM Tamper State', 'No tamper(s)'],
      ],
      '   ',
      36,
    ),
    '',
    HSM_SHOW.partitionsHeading,
    HSM_SHOW.partitionsRule,
    ...(state.partitions.length === 0
      ? [HSM_SHOW.noPartitions]
      : state.partitions.map((p) => HSM_SHOW.partition(p.serial, p.name))),
    '',
    '',
    ...keyValues(
      [
        ['Number of partitions allowed', state.licence.licensedPartitions],
        ['Number of partitions created', state.partitions.length],
      ],
      '   ',
      37,
    ),
    '',
    ...heading('FIPS 140-2 Operation:'),
    '   The HSM is NOT in FIPS 140-2 approved operation mode.',
    '',
    ...heading('HSM Storage Information:'),
    ...keyValues(
      [
        ['Maximum HSM Storage Space (Bytes)', total],
        ['Space In Use (Bytes)', used],
        ['Free Space Left (Bytes)', total - used],
      ],
      '   ',
      37,
    ),
    '',
    ...heading('Environmental Information on HSM:'),
    ...keyValues(
      [
        ['Battery Voltage', '3.093 V'],
        ['Battery Warning Threshold Voltage', '2.750 V'],
        ['System Temp', '35 deg. C'],
        ['System Temp Warning Threshold', '75 deg. C'],
      ],
      '   ',
      37,
    ),
    '',
    '',
  ].join(CRLF);
}

/** `partition list` as Luna 7.x prints it (13-digit serials, Version and storage columns). */
function partitionList(state: ApplianceState): string {
  const rows = state.partitions.map((p) => {
    const size = partitionSize(state, p) - 9648;
    return {
      serial: p.serial,
      name: p.name,
      version: '0',
      objects: p.objects,
      total: size,
      used: p.objects * 1024,
      free: size - p.objects * 1024,
    };
  });
  return partitionListLines(rows).join(CRLF);
}

/** HSM policies: code, description and destructiveness from the documented table
 * (./hsm-policies.ts, as a Luna 6.2.2 unit lists them: IBM Cloud docs, "Enable FIPS 140-2"),
 * with the defaults that unit showed (but for 15, Off here); the state keeps changed values. */
const POLICY_DEFAULTS: Record<number, number> = { 6: 1, 7: 1, 12: 1, 15: 0, 16: 1, 20: 1, 21: 0, 22: 1, 29: 1 };
const HSM_POLICY_LIST: [number, string, number, 'Yes' | 'No'][] = POLICY_TABLE.map((p) => [
  p.code,
  p.name,
  POLICY_DEFAULTS[p.code] ?? 0,
  p.destructive ? 'Yes' : 'No',
]);

/** Capabilities as Thales' 5.3/6.2 docs list them for a password-authenticated HSM (a subset). */
const HSM_CAPABILITY_LIST: [string, string][] = [
  ['Enable PIN-based authentication', 'Allowed'],
  ['Enable PED-based authentication', 'Disallowed'],
  ['Performance level', '15'],
  ['Enable domestic mechanisms & key sizes', 'Allowed'],
  ['Enable masking', 'Allowed'],
  ['Enable cloning', 'Allowed'],
  ['Enable non-FIPS algorithms', 'Allowed'],
  ['Enable SO reset of partition PIN', 'Allowed'],
  ['Enable network replication', 'Allowed'],
  ['Enable Remote Authentication', 'Allowed'],
  ['Enable forcing user PIN change', 'Allowed'],
  ['HSM non-volatile storage space', '33554432'],
];

const onOff = (v: string | number) => (String(v) === '1' ? 'On' : 'Off');

/** An `-entries` value (lunash's default, guessed: 50). */
function count(value: string | true | undefined): number {
  if (value === undefined) return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid number of entries: ${String(value)}`);
  return n;
}

export const COMMANDS: CommandSpec<ApplianceState>[] = [
  {
    words: ['hsm', 'show'],
    run: async (c) => {
      requireHsmUp(c.state);
      return hsmShow(c.state, c.session);
    },
  },
  {
    words: ['hsm', 'login'],
    options: { password: 'value' },
    adminOnly: true,
    run: async (c) => {
      requireHsmUp(c.state);
      requireInitialised(c.state);
      if (c.state.hsmSoLoginAttemptsLeft === 1) {
        const last =
          `${CRLF}Caution:  This is your LAST available HSM Admin login attempt.${CRLF}          If the wrong HSM Admin password is provided the HSM will${CRLF}          be ZEROIZED!!!${CRLF}${CRLF}` +
          `          Type 'proceed' if you are certain you have the right${CRLF}          HSM Admin login credentials or 'quit' to quit now.${CRLF}          > `;
        if ((await c.io.ask(last)).trim().toLowerCase() !== 'proceed') throw aborted();
      }
      const password =
        typeof c.options.password === 'string'
          ? c.options.password
          : await c.io.ask(`${CRLF}  Please enter the HSM Administrators' password:${CRLF}  > `, { echo: false });
      if (password === c.state.hsmSoPassword) {
        c.state.hsmSoLoginAttemptsLeft = 3;
        c.session.hsmLoggedIn = true;
        return `${CRLF}'hsm login' successful.`;
      }
      c.state.hsmSoLoginAttemptsLeft -= 1;
      if (c.state.hsmSoLoginAttemptsLeft <= 0) {
        zeroize(c.state, false);
        // as captured on a 7.x appliance: the zeroizing login still ends with result 0
        return `${CRLF}${CRLF}Error:  'hsm login' failed. (30000F : LUNA_RET_SO_LOGIN_FAILURE_THRESHOLD)${CRLF}${CRLF}Error:    The HSM is in the factory reset (zeroized) state.${CRLF}`;
      }
      throw new LunaError('A00000', 'LUNA_RET_UM_PIN_INCORRECT', undefined, CRLF); // two blank lines before the error, as the zeroizing login's capture prints them
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
    options: { label: 'value', password: 'value', domain: 'value', defaultdomain: 'flag', force: 'flag' },
    required: ['label'],
    adminOnly: true,
    run: async (c) => {
      const label = requireName(c.options.label, 'label');
      if (!c.state.zeroized && !c.session.hsmLoggedIn) {
        throw new LunaError(
          '10000',
          'LUNA_RET_USER_NOT_LOGGED_IN',
          'The HSM is initialized: log in as HSM Administrator to re-initialize it.',
        );
      }
      let password = c.state.hsmSoPassword;
      if (c.state.zeroized) {
        password =
          typeof c.options.password === 'string'
            ? c.options.password
            : await readSecretTwice(c, 'a password for the HSM Administrator', 'password');
        if (c.options.defaultdomain !== true && typeof c.options.domain !== 'string') {
          await readSecretTwice(c, 'a cloning domain to use for initializing this HSM', 'cloning domain');
        }
      }
      const prompt = c.state.zeroized
        ? caution('initialize this HSM', 'initialize the HSM')
        : caution('re-initialize this HSM', 'initialize the HSM', 'All partitions and data will be erased.');
      if (!(await c.confirm(prompt))) throw aborted();
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
      if (c.state.zeroizeDisabled) {
        // Azure Dedicated HSM: zeroize by three failed HSM Administrator logins instead ("does not
        // expose ... hsm zeroize", AzureHSMEssentials); the refusal's code and words are guessed
        throw new LunaError('C0000005', 'RC_ACCESS_DENIED', 'This command is disabled on this appliance.');
      }
      // inferred (no capture of hsm zeroize was found)
      if (
        !(await c.confirm(
          caution('erase all partitions and objects on this HSM', 'zeroize the HSM', 'All data will be lost.'),
        ))
      )
        throw aborted();
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
      throw new LunaError(
        'C0000005',
        'RC_ACCESS_DENIED',
        "'hsm factoryReset' is accepted on the local serial console only, not via SSH.",
      );
    },
  },
  {
    words: ['hsm', 'showPolicies'],
    run: async (c) => {
      requireInitialised(c.state);
      const rows = HSM_POLICY_LIST.map(([code, description, value, destructive]) => ({
        code,
        description,
        on: onOff(c.state.policies[code] ?? value) === 'On',
        destructive: destructive === 'Yes',
      }));
      const head: [string, string][] = [
        ['HSM Label', c.state.label ?? ''],
        ['Serial #', c.state.serial],
        ['Firmware', c.state.firmware],
      ];
      return showPolicies(head, HSM_CAPABILITY_LIST, [['PIN-based authentication', 'True']], rows).join(CRLF);
    },
  },
  {
    words: ['hsm', 'changePolicy'],
    options: { policy: 'value', value: 'value', force: 'flag' },
    required: ['policy', 'value'],
    adminOnly: true,
    run: async (c) => {
      requireSo(c);
      const policy = HSM_POLICY_LIST.find(([code]) => code === Number(c.options.policy));
      const value = String(c.options.value);
      if (!policy)
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Unknown policy ${String(c.options.policy)}.`);
      if (value !== '0' && value !== '1')
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid policy value ${value}.`);
      if (policy[3] === 'Yes') {
        // as captured on a 6.2.2 unit: the partitions are erased, the HSM Admin and domain kept
        const prompt = `${CRLF}CAUTION: Are you sure you wish to change the destructive policy named:${CRLF}${CRLF}${policy[1]}${CRLF}${CRLF}Changing this policy will result in erasing all partitions on the HSM! (HSM Admin, Domain, and M of N (where applicable) will not be modified.${CRLF}${CRLF}Type 'proceed' to zeroize your HSM and change the policy, or 'quit' to quit now.${CRLF}${CRLF}> `;
        if (!(await c.confirm(prompt))) throw aborted();
        c.state.partitions = [];
        for (const client of c.state.clients) client.partitions = [];
      }
      c.state.policies[policy[0]] = value;
      return `${policy[3] === 'Yes' ? CRLF : ''}'hsm changePolicy' successful.${CRLF}${CRLF}Policy ${policy[1]} is now set to value: ${value}`;
    },
  },
  {
    words: ['hsm', 'stc', 'status'],
    run: async (c) => {
      requireStcAdminChannel(c.state);
      // guessed layout
      return keyValues(
        [
          ['Enabled', c.state.stcEnabled ? 'Yes' : 'No'],
          ['Status', c.state.stcEnabled ? 'Online' : 'Offline'],
        ],
        '',
        20,
      ).join(CRLF);
    },
  },
  {
    words: ['hsm', 'stc', 'disable'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      requireStcAdminChannel(c.state);
      requireSo(c);
      if (!(await c.confirm(caution(null, 'disable STC on the admin channel')))) throw aborted();
      c.state.stcEnabled = false;
      c.session.hsmLoggedIn = false; // the STC service restarts, ending the HSM login session (guessed, as for enable)
      return 'Successfully disabled STC on the admin channel.';
    },
  },
  {
    words: ['hsm', 'firmware', 'show'],
    // "Upgrade Firmware: 7.7.1": Thales, Luna HSM Firmware 7.7.1-20 notes; the rest guessed
    run: async (c) => {
      requireHsmUp(c.state);
      return [
        '',
        ...keyValues(firmwareShow(c.state.firmware, c.state.rollbackFirmware, c.state.upgradeFirmware), '   ', 20),
      ].join(CRLF);
    },
  },
  {
    words: ['hsm', 'firmware', 'upgrade'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      requireSo(c); // "after hsm login"
      const image = c.state.upgradeFirmware;
      if (!image)
        throw new LunaError(
          'C000040A',
          'RC_OBJECT_NOT_IN_LIST',
          'There is no firmware image on the appliance to upgrade to.',
        ); // guessed
      // "Updating the HSM Firmware After an Appliance Software Update": the software update
      // completes on the appliance's reboot, the firmware is applied after it (refusal's words guessed)
      if (c.state.pendingSoftware) {
        throw new LunaError(
          'C0000001',
          'RC_GENERAL_ERROR',
          `Appliance software ${c.state.pendingSoftware} is installed but not running: reboot the appliance (sysconf appliance reboot) before you upgrade the HSM firmware.`,
        );
      }
      if (c.state.stcEnabled)
        throw new LunaError(
          'C0000003',
          'RC_INVALID_ARGUMENT',
          "STC is enabled on the admin channel: disable it first with 'hsm stc disable'.",
        ); // guessed
      if (
        !(await c.confirm(warning(`This command will upgrade the HSM firmware from ${c.state.firmware} to ${image}.`)))
      )
        throw aborted();
      c.state.rollbackFirmware = c.state.firmware;
      c.state.firmware = image;
      c.state.upgradeFirmware = null;
      c.session.hsmLoggedIn = false; // the HSM restarts on its new firmware by itself (guessed)
      if (c.state.hsmRestartMs > 0)
        c.state.hsmRestartingUntil = new Date(Date.now() + c.state.hsmRestartMs).toISOString();
      return `Firmware upgrade successful: the HSM runs firmware ${image}.`; // guessed
    },
  },
  {
    words: ['partition', 'create'],
    options: {
      partition: 'value',
      label: 'value',
      size: 'value',
      allfreestorage: 'flag',
      version: 'value',
      force: 'flag',
    },
    required: ['partition'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.partition, 'partition name');
      requireSo(c);
      if (c.state.partitions.some((p) => p.name === name))
        throw new LunaError(
          'C0000405',
          'LUNA_RET_ATTRIBUTE_VALUE_INVALID',
          `A partition named ${name} already exists.`,
        );
      const { licensedPartitions } = c.state.licence;
      if (c.state.partitions.length >= licensedPartitions) {
        throw new LunaError(
          'C0000402',
          'CKR_LICENSE_CAPACITY_EXCEEDED',
          `This HSM is licensed for ${licensedPartitions} partitions; all are in use.`,
        );
      }
      if (storageUsed(c.state) + defaultPartitionSize(c.state) > c.state.storageTotal) {
        // inferred: no capture shows this refusal's code
        throw new LunaError(
          'C0000031',
          'CKR_DEVICE_MEMORY',
          `Not enough free storage on the HSM for a partition of ${defaultPartitionSize(c.state)} bytes.`,
        );
      }
      if (!(await c.confirm(caution(null, 'create the partition')))) throw aborted();
      const next = c.state.partitions.reduce((n, p) => Math.max(n, Number(p.serial.slice(-4))), 0) + 1;
      c.state.partitions.push({
        name,
        serial: `15${c.state.serial.padStart(7, '0').slice(-7)}${String(next).padStart(4, '0')}`,
        objects: 0,
        createdAt: new Date().toISOString(),
      });
      return "'partition create' successful.";
    },
  },
  {
    words: ['partition', 'list'],
    run: async (c) => {
      requireInitialised(c.state);
      return partitionList(c.state);
    },
  },
  {
    words: ['partition', 'show'],
    options: { partition: 'value' },
    run: async (c) => {
      requireInitialised(c.state);
      const wanted = c.options.partition === undefined ? undefined : requireName(c.options.partition, 'partition name');
      const list = wanted ? c.state.partitions.filter((p) => p.name === wanted) : c.state.partitions;
      if (wanted && list.length === 0)
        throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${wanted} does not exist.`);
      const size = Math.floor(33_554_432 / c.state.licence.licensedPartitions) - 9648;
      return list
        .flatMap((p) => [
          '',
          ...keyValues(
            [
              ['Partition Name', p.name],
              ['Partition SN', p.serial],
              ['Partition Label', p.name],
              [
                'Partition Storage Information (Bytes)',
                `Total=${size}, Used=${p.objects * 1024}, Free=${size - p.objects * 1024}`,
              ],
              ['Partition Object Count', p.objects],
            ],
            '   ',
            43,
          ),
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
      if (!c.state.partitions.some((p) => p.name === name))
        throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${name} does not exist.`);
      if (!(await c.confirm(caution(`delete the partition named:${CRLF}            ${name}`, 'delete the partition'))))
        throw aborted();
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
      if (typeof host !== 'string' || !HOST.test(host))
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', 'Give -hostname <host> or -ip <address>.');
      if (c.state.clients.some((cl) => cl.name === name))
        throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `Client ${name} is already registered.`);
      // the certificate the admin copied to the appliance as <host>.pem; without it (or with -ip
      // where the file is named for the host name) the appliance "can't find cert"
      // (microsoft/AzureHSMEssentials, activating a Dedicated HSM: troubleshooting); the words
      // and code of the refusal are guessed
      const pem = c.state.files[`${host}.pem`]?.content;
      if (pem === undefined)
        throw new LunaError(
          'C0000404',
          'RC_FILE_NOT_FOUND',
          `Can't find cert ${host}.pem: copy the client's certificate to the appliance (scp) first.`,
        );
      const fingerprint = certificateFingerprint(pem);
      if (fingerprint === undefined)
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `${host}.pem is not a certificate.`); // inferred
      c.state.clients.push({ name, host, partitions: [], certificateFingerprint: fingerprint });
      return `${CRLF}'client register' successful.`;
    },
  },
  {
    // microsoft/AzureHSMEssentials (activating a Dedicated HSM, step 22): the client's IP
    // address for a client registered by host name; the success line and refusals guessed
    words: ['client', 'hostip', 'map'],
    options: { client: 'value', ip: 'value' },
    required: ['client', 'ip'],
    adminOnly: true,
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const ip = c.options.ip;
      if (typeof ip !== 'string' || !/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip))
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid IP address: ${String(ip)}`);
      const client = c.state.clients.find((cl) => cl.name === name);
      if (!client) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', 'The client you specified does not exist.');
      if (client.ip === ip)
        throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `Client ${name} is already mapped to ${ip}.`);
      client.ip = ip;
      return `${CRLF}'client hostip map' successful.`;
    },
  },
  clientPartitionCommand('assignPartition', (c, client, partition) => {
    if (!c.state.partitions.some((p) => p.name === partition))
      throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `Partition ${partition} does not exist.`);
    if (client.partitions.includes(partition))
      throw new LunaError(
        'C0000405',
        'RC_OBJECT_ALREADY_EXISTS',
        `Partition ${partition} is already assigned to ${client.name}.`,
      );
    client.partitions.push(partition);
  }),
  // Thales, "Assigning or Revoking NTLS Client Access to a Partition"; the success line as
  // public automation expects it, the refusals guessed
  clientPartitionCommand('revokePartition', (_c, client, partition) => {
    if (!client.partitions.includes(partition))
      throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', 'Specified partition was not assigned to client.');
    client.partitions = client.partitions.filter((p) => p !== partition);
  }),
  {
    words: ['client', 'list'],
    run: async (c) =>
      c.state.clients.length === 0
        ? `${CRLF}No clients are registered.${CRLF}`
        : ['', ...c.state.clients.map((cl, i) => `registered client ${i + 1}: ${cl.name}`)].join(CRLF),
  },
  {
    words: ['client', 'show'],
    options: { client: 'value' },
    required: ['client'],
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const client = c.state.clients.find((cl) => cl.name === name);
      if (!client) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', 'Specified client does not exist.');
      return keyValues(clientShow(client.name, client.host, client.partitions), '', 14).join(CRLF);
    },
  },
  {
    words: ['client', 'fingerprint'],
    options: { client: 'value' },
    required: ['client'],
    run: async (c) => {
      const name = requireName(c.options.client, 'client name');
      const client = c.state.clients.find((cl) => cl.name === name);
      // the text before the failed line, as captured on 5.x (error-client-fingerprint-not-registered)
      if (!client)
        throw new LunaError(
          'C000040A',
          'RC_OBJECT_NOT_IN_LIST',
          undefined,
          "Error:  The client you specified does not exist.\r\n        Use 'client list' to list all available clients.",
        );
      // inferred: a client registered without a certificate (see client register)
      if (!client.certificateFingerprint)
        throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `No certificate is registered for client ${name}.`);
      return `${CRLF}${CRLF}Certificate fingerprint: ${client.certificateFingerprint}${CRLF}`;
    },
  },
  {
    words: ['sysconf', 'ntp', 'status'],
    run: async (c) => ntpStatus(c.state),
  },
  {
    words: ['syslog', 'tail'],
    options: { logname: 'value', entries: 'value', search: 'value' },
    required: ['logname'],
    run: async (c) => {
      const log = String(c.options.logname);
      if (log !== 'messages' && log !== 'lunalogs')
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Unknown log ${log}.`); // inferred
      return logLines(c.state, {
        entries: count(c.options.entries),
        search: typeof c.options.search === 'string' ? c.options.search : undefined,
      }).join(CRLF);
    },
  },
  {
    words: ['audit', 'log', 'list'],
    roles: ['audit'],
    run: async (c) =>
      auditLogList(
        c.state.audit.length ? [{ name: auditLogFile(c.state), size: auditLogRecords(c.state).join('\n').length }] : [],
      ).join(CRLF),
  },
  {
    words: ['audit', 'log', 'tail'],
    options: { file: 'value', entries: 'value', search: 'value' },
    required: ['file'],
    roles: ['audit'],
    run: async (c) => {
      if (c.options.file !== auditLogFile(c.state) || c.state.audit.length === 0)
        throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `No audit log ${String(c.options.file)}.`); // inferred
      return auditLogRecords(c.state).slice(-count(c.options.entries)).join(CRLF);
    },
  },
  {
    words: ['syslog', 'remotehost', 'add'],
    options: { host: 'value', port: 'value', protocol: 'value' },
    required: ['host'],
    adminOnly: true,
    run: async (c) => {
      const host = c.options.host;
      if (typeof host !== 'string' || !HOST.test(host))
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid host: ${String(host)}`);
      const port = c.options.port === undefined ? 514 : Number(c.options.port);
      const protocol = c.options.protocol === undefined ? 'udp' : String(c.options.protocol).toLowerCase();
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid port: ${String(c.options.port)}`);
      if (protocol !== 'udp' && protocol !== 'tcp')
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid protocol: ${protocol}`);
      if (c.state.syslogHosts.some((h) => h.host === host))
        throw new LunaError('C0000405', 'RC_OBJECT_ALREADY_EXISTS', `${host} is already a remote logging server.`);
      c.state.syslogHosts.push({ host, port, protocol });
      return `${host} added successfully${CRLF}Make sure the rsyslog service on ${host} is properly configured to receive the logs`;
    },
  },
  {
    words: ['syslog', 'remotehost', 'list'],
    run: async (c) =>
      [
        '',
        'Remote logging server(s):',
        '=========================',
        '',
        ...c.state.syslogHosts.map((h) => `  ${h.host}:${h.port}, ${h.protocol}`),
      ].join(CRLF),
  },
  {
    words: ['user', 'password'],
    positional: 1,
    run: async (c) => {
      const target = c.positional[0] ?? c.user;
      const user = c.state.users[target];
      if (!user) throw new LunaError('C000040A', 'RC_OBJECT_NOT_IN_LIST', `User ${target} does not exist.`);
      if (target !== c.user && c.state.users[c.user]?.role !== 'admin')
        throw new LunaError('C0000005', 'RC_ACCESS_DENIED', "Only an admin can change another user's password.");
      c.io.write(`${CRLF}Changing password for user ${target}.${CRLF}${CRLF}${PASSWORD_RULES}`);
      const { password, problem } = await readNewUserPassword((prompt) => c.io.ask(prompt, { echo: false }));
      if (!password) throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', problem);
      user.password = password;
      // from 7.7, a password set for another user is expired: they change it at their next login
      user.mustChangePassword = target !== c.user;
      return 'passwd: all authentication tokens updated successfully.';
    },
  },
  {
    words: ['user', 'list'],
    run: async (c) => {
      const line = (r: string[]) =>
        `    ${r[0].padStart(20)}    ${r[1].padStart(8)}    ${r[2].padStart(8)}    ${r[3].padStart(8)}`;
      return [
        '',
        line(['Users', 'Roles', 'Status', 'RADIUS']),
        line(['-'.repeat(20), '-'.repeat(8), '-'.repeat(8), '-'.repeat(8)]),
        ...Object.entries(c.state.users).map(([name, u]) =>
          line([name, u.role, u.enabled ? 'enabled' : 'disabled', 'no']),
        ),
      ].join(CRLF);
    },
  },
  {
    words: ['status', 'sysstat', 'show'],
    // inferred layout; the state codes are the front panel's (ISO, IST, OOS, OFL)
    run: async (c) =>
      `${CRLF}     System Status:  ${c.state.zeroized ? 'IST  (In Service Trouble)' : 'ISO  (In Service Operational)'}`,
  },
  {
    words: ['sysconf', 'appliance', 'reboot'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      if (!(await c.confirm(warning('This command will reboot the appliance.')))) throw aborted();
      // a hung reboot (the Azure case) only ends with a physical power cycle (simulator CLI)
      c.state.reboot = { until: c.faults.rebootHangs ? null : new Date(Date.now() + c.faults.rebootMs).toISOString() };
      c.afterOutput(() => c.disconnect());
      return `${c.options.force ? '' : `Proceeding...${CRLF}`}The system is going down for reboot NOW!${CRLF}Reboot commencing`;
    },
  },
  {
    words: ['package', 'listfile'],
    run: async (c) =>
      packageListfile(Object.entries(c.state.files).map(([name, f]) => ({ name, size: f.size }))).join(CRLF),
  },
  {
    words: ['package', 'list'],
    run: async (c) => packageList(c.state.packages).join(CRLF),
  },
  {
    words: ['package', 'verify'],
    positional: 1,
    options: { authcode: 'value', useevp: 'flag', des3: 'flag' },
    required: ['authcode'],
    run: async (c) => {
      requireSoUnlessEvp(c);
      const { file } = readablePackage(c);
      return PACKAGE_CHECKED.join(CRLF) + `${CRLF}${CRLF}${file} verified.`;
    },
  },
  {
    words: ['package', 'update'],
    positional: 1,
    options: { authcode: 'value', useevp: 'flag', des3: 'flag', force: 'flag' },
    required: ['authcode'],
    adminOnly: true,
    run: async (c) => {
      requireSo(c); // "You must log into the HSM before you run this command."
      const { file, software, firmware, firmwareOnly } = readablePackage(c);
      const installed = (v: string | null) => v !== null && v.split('-')[0] === software.split('-')[0];
      if (firmwareOnly) {
        // firmware 7.7.1-20: "You must have Luna Appliance Software 7.7.1 installed to apply the secure package" (message guessed)
        if (!installed(c.state.softwareVersion) || c.state.pendingSoftware) {
          throw new LunaError(
            'C0000001',
            'RC_GENERAL_ERROR',
            `Luna Appliance Software ${firmware} must be installed to apply this package.`,
          );
        }
      } else if (installed(c.state.softwareVersion) || installed(c.state.pendingSoftware)) {
        // Thales' package update page: "If a version of this package is already installed, an error occurs"
        throw new LunaError(
          'C0000001',
          'RC_GENERAL_ERROR',
          `Command failed: RPM update for original filename (${file})`,
        );
      }
      // "If this patch is not installed, the appliance software update will not proceed" (message guessed)
      if (
        !firmwareOnly &&
        compareVersions(software, '7.7.0') >= 0 &&
        !c.state.packages.some((p) => p.startsWith('lunasa-reboot-patch'))
      ) {
        throw new LunaError(
          'C0000001',
          'RC_GENERAL_ERROR',
          'Install the Luna Network HSM 7 Reboot Patch (lunasa-reboot-patch-3.spkg) before this update.',
        );
      }
      // the one-way warning as Thales' 7.x page begins it; the rest of the prompt guessed
      if (!(await c.confirm(ONE_WAY_WARNING))) throw aborted();
      if (!firmwareOnly) c.state.pendingSoftware = software;
      c.state.upgradeFirmware = firmware; // "updates the firmware version held in reserve, overwriting the version that was stored there before"
      c.state.packages.push(file.replace(/\.spkg$/, ''));
      return [
        ...PACKAGE_CHECKED,
        'Preparing packages for installation...',
        file.replace(/\.spkg$/, ''),
        'Running update script',
        // a firmware-only package stores the firmware "in reserve ... waiting to be installed" (7.7.1-20 notes): no reboot asked (guessed)
        ...(firmwareOnly
          ? ['']
          : [
              'SOFTWARE UPDATE COMPLETED!',
              '',
              'The system MUST now be rebooted for the changes to take effect.',
              'Please ensure all client connections are terminated prior to rebooting the',
              'system.',
              'To reboot, use the command "sysconf appliance reboot".',
              '',
            ]),
        'Update Completed',
        '',
      ].join(CRLF);
    },
  },
  {
    words: ['network', 'route', 'show'],
    run: async (c) => routeTable(c.state.routes.map((r) => ({ ...r, metric: 0, ref: 0, use: 0 }))).join(CRLF),
  },
  ...INIT_COMMANDS,
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
