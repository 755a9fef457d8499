import type { ApplianceState } from '../state';
import { CRLF } from './output';
import { LunaError, type CommandContext as GenericContext, type CommandSpec } from './shell';
import { aborted, readSecretTwice, warning } from './prompts';

// lunash commands an hsm-init ceremony adds after `hsm init`: the NTLS server certificate made for
// the unit (`sysconf regenCert`, `ntls bind`, `service restart ntls`), HSM audit logging through
// the Audit role (`audit init`, `audit login`, `audit remotehost add|list`). Written out here, from simulator/SOURCES.md's sources, without the
// device parser's layouts: the simulator is a second opinion on those shapes.

type CommandContext = GenericContext<ApplianceState>;

/** The devices `ntls bind` takes (Thales 7, "Binding Your NTLS or SSH Traffic to a Device"). */
const NTLS_DEVICES = ['eth0', 'eth1', 'eth2', 'eth3', 'bond0', 'bond1', 'all'];

/** The addresses a binding covers: one device's, or every configured device's for `all`. */
function boundAddresses(state: ApplianceState, device: string): string[] {
  const { interfaces } = state.ntls;
  return device === 'all' ? Object.values(interfaces) : interfaces[device] ? [interfaces[device]] : [];
}

/** A new self-signed server certificate for the appliance: its hostname as CN, and its hostname and
 * the bound devices' addresses as subjectAltName (guessed: the sources say only that clients must
 * fetch server.pem again; what the certificate names is not published). */
async function newServerCertificate(state: ApplianceState): Promise<string> {
  const altNames = [
    { type: 2, value: state.name },
    ...boundAddresses(state, state.ntls.binding).map((ip) => ({ type: 7, ip })),
  ];
  return selfSignedServerCertificate(state, [{ name: 'subjectAltName', altNames }]);
}

/** A self-signed certificate (PEM) with the appliance's name as CN, valid for its
 * `serverCertificateDays`, on a new RSA 2048 key. */
export async function selfSignedServerCertificate(
  state: Pick<ApplianceState, 'name' | 'serverCertificateDays'>,
  extensions?: object[],
): Promise<string> {
  // loaded here, not at the top: most runs never make a certificate, and the X.509 libraries behind
  // selfsigned take a sixth of a second to load
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: state.name }], {
    ...serverCertificateValidity(state),
    keySize: 2048,
    ...(extensions ? { extensions } : {}),
  } as never);
  return pems.cert;
}

/** From now for the state's `serverCertificateDays` (selfsigned takes dates; its `days` is gone). */
export function serverCertificateValidity(state: Pick<ApplianceState, 'serverCertificateDays'>): {
  notBeforeDate: Date;
  notAfterDate: Date;
} {
  const notBeforeDate = new Date();
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + state.serverCertificateDays * 86_400_000) };
}

function requireAuditRole(c: CommandContext): NonNullable<ApplianceState['auditRole']> {
  if (!c.state.auditRole)
    throw new LunaError(
      'C0000101',
      'RC_AUDIT_ROLE_NOT_INITIALIZED',
      "The Audit role is not initialized: run 'audit init' first.",
    ); // guessed
  return c.state.auditRole;
}

function requireAuditor(c: CommandContext): void {
  requireAuditRole(c);
  if (!c.session.auditLoggedIn)
    throw new LunaError(
      '10000',
      'LUNA_RET_USER_NOT_LOGGED_IN',
      "The Auditor is not logged in: run 'audit login' first.",
    ); // guessed
}

export const INIT_COMMANDS: CommandSpec<ApplianceState>[] = [
  {
    words: ['sysconf', 'regenCert'],
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      // prompt and success lines: CloudHSM 5.x capture (expected_regenerate_server_cert_output)
      const prompt = warning(
        [
          'This command will overwrite the current server certificate and private key.',
          'All clients will have to add this server again with this new certificate.',
        ].join(CRLF),
      );
      if (c.options.force !== true && !(await c.confirm(prompt))) throw aborted();
      c.state.serverCertificate = await newServerCertificate(c.state);
      return [
        'Proceeding...',
        "'sysconf regenCert' successful. NTLS must be (re)started before clients can connect.",
        "Please use the 'ntls show' command to ensure that NTLS is bound to an appropriate network device or IP address/hostname",
        "for the network device(s) NTLS should be active on. Use 'ntls bind' to change this binding if necessary.",
      ].join(CRLF);
    },
  },
  {
    words: ['ntls', 'bind'],
    positional: 1,
    options: { force: 'flag' },
    adminOnly: true,
    run: async (c) => {
      const device = c.positional[0];
      if (device === undefined || !NTLS_DEVICES.includes(device))
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid network device: ${String(device)}`); // guessed
      c.state.ntls.binding = device;
      // Thales 7, "Binding Your NTLS or SSH Traffic to a Device" (its second line cut short there: completed, guessed)
      return `NTLS binding set to network device ${device}.${CRLF}You must restart the NTLS service for the new binding to take effect.`;
    },
  },
  {
    words: ['service', 'restart'],
    positional: 1,
    adminOnly: true,
    run: async (c) => {
      const service = c.positional[0];
      if (service !== 'ntls')
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Unknown service: ${String(service)}`); // only NTLS is simulated
      // NTLS now serves the certificate and binding it finds (the lines as CloudHSM 5.x prints a service restart)
      c.state.ntls.serving = { certificate: c.state.serverCertificate, binding: c.state.ntls.binding };
      return [
        'Stopping ntls:                                             [  OK  ]',
        'Starting ntls:                                             [  OK  ]',
      ].join(CRLF);
    },
  },
  {
    words: ['audit', 'init'],
    options: { domain: 'value', defaultdomain: 'flag', password: 'value', force: 'flag' },
    roles: ['audit'],
    run: async (c) => {
      // Thales 7 LunaSH `audit init`: password and domain prompted when not given; "proceed" unless -force
      const password =
        typeof c.options.password === 'string'
          ? c.options.password
          : await readSecretTwice(c, 'a password for the Audit role', 'password');
      const domain =
        c.options.defaultdomain === true
          ? 'defaultdomain'
          : typeof c.options.domain === 'string'
            ? c.options.domain
            : await readSecretTwice(c, 'the audit domain', 'audit domain');
      const prompt = `${CRLF}CAUTION:  Are you sure you wish to initialize the Audit role?${CRLF}          Any existing Audit role will be destroyed.${CRLF}${CRLF}          Type 'proceed' to initialize the Audit role, or${CRLF}          'quit' to quit now.${CRLF}          > `;
      if (c.options.force !== true && !(await c.confirm(prompt))) throw aborted();
      c.state.auditRole = { password, domain };
      c.session.auditLoggedIn = false;
      return "'audit init' successful."; // guessed, as 'hsm init' says it
    },
  },
  {
    words: ['audit', 'login'],
    options: { password: 'value', serial: 'value' },
    roles: ['audit'],
    run: async (c) => {
      const role = requireAuditRole(c);
      // Thales 6.3 LunaSH `audit login` (password-authenticated HSM): "Please enter the password:"
      const password =
        typeof c.options.password === 'string'
          ? c.options.password
          : await c.io.ask(`${CRLF}  Please enter the password:${CRLF}  > `, { echo: false });
      if (password !== role.password) throw new LunaError('A00000', 'LUNA_RET_UM_PIN_INCORRECT'); // as a wrong hsm login
      c.session.auditLoggedIn = true;
      return '';
    },
  },
  {
    words: ['audit', 'remotehost', 'add'],
    options: { host: 'value', port: 'value', protocol: 'value' },
    required: ['host'],
    roles: ['audit'],
    run: async (c) => {
      requireAuditor(c);
      // Thales 7, "Remote Audit Logging": `-host <host> -protocol tcp -port 1660`; UDP and 514 by default
      const host = String(c.options.host);
      const port = c.options.port === undefined ? 514 : Number(c.options.port);
      const protocol = c.options.protocol === undefined ? 'udp' : String(c.options.protocol).toLowerCase();
      if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(host))
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid host: ${host}`);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid port: ${String(c.options.port)}`);
      if (protocol !== 'udp' && protocol !== 'tcp')
        throw new LunaError('C0000003', 'RC_INVALID_ARGUMENT', `Invalid protocol: ${protocol}`);
      if (c.state.auditRemoteHosts.some((h) => h.host === host))
        throw new LunaError(
          'C0000405',
          'RC_OBJECT_ALREADY_EXISTS',
          `${host} is already a remote audit logging server.`,
        ); // guessed
      c.state.auditRemoteHosts.push({ host, port, protocol });
      return `${host} added successfully`; // guessed, as `syslog remotehost add` says it
    },
  },
  {
    words: ['audit', 'remotehost', 'list'],
    roles: ['audit'],
    // guessed, as `syslog remotehost list` prints its hosts
    run: async (c) =>
      [
        '',
        'Remote audit logging server(s):',
        '===============================',
        '',
        ...c.state.auditRemoteHosts.map((h) => `  ${h.host}:${h.port}, ${h.protocol}`),
      ].join(CRLF),
  },
];
