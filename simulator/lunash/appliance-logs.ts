import { createHash, X509Certificate } from 'node:crypto';
import type { ApplianceState } from '../state';
import { NTP as NTP_TEXTS } from './shapes';
import { CRLF } from './output';

// What the simulated appliance prints about its clock, its logs and its NTLS clients' certificates
// (simulator/SOURCES.md gives the source of each shape).

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const clock = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** As `ntp_gettime()` prints the time beside its NTP timestamp: `Tue, Nov 19 2013 11:57:33.856`
 * (the appliance's zone: UTC here). */
function ntpLocalTime(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${d.getUTCFullYear()} ${clock(d)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/** `sysconf ntp status`, in the shape of a 5.1 capture (Amazon CloudHSM Classic CLI test data):
 * the service state, ntpq's peers (`*` the selected source), associations, and the clock. */
export function ntpStatus(state: ApplianceState): string {
  const now = new Date(Date.now() + state.clockOffsetMs);
  const rule = '='.repeat(78);
  const synced = state.ntp.running && state.ntp.synchronised && state.ntp.servers.length > 0;
  const peer = (mark: string, remote: string, refid: string, st: number, t: string, reach: string) =>
    `${mark}${remote.padEnd(16)}${refid.padEnd(16)}${String(st).padStart(2)} ${t} ${'   42'.padStart(5)} ${'  64'.padStart(4)}  ${reach.padStart(3)}    0.000    0.000   0.001`;
  const peers = [
    peer(synced ? ' ' : '*', 'LOCAL(0)', '.LOCL.', 10, 'l', '377'),
    ...state.ntp.servers.map((server, i) =>
      peer(
        synced && i === 0 ? '*' : ' ',
        server,
        synced ? '.GPS.' : '.INIT.',
        synced ? 1 : 16,
        'u',
        synced ? '377' : '0',
      ),
    ),
  ];
  const seconds = Math.floor(now.getTime() / 1000) + 2_208_988_800;
  const fraction = Math.floor(((now.getTime() % 1000) / 1000) * 2 ** 32);
  return [
    '',
    '',
    state.ntp.running ? NTP_TEXTS.running : NTP_TEXTS.notRunning,
    '',
    state.ntp.enabled ? NTP_TEXTS.enabled : NTP_TEXTS.disabled,
    '',
    'Peers:',
    rule,
    NTP_TEXTS.peersHeader,
    rule,
    ...peers,
    rule,
    '',
    'Associations:',
    rule,
    '',
    'ind assid status  conf reach auth condition  last_event cnt',
    '='.repeat(59),
    ...peers.map(
      (p, i) =>
        `  ${i + 1} ${48268 + i}  ${p.startsWith('*') ? '963a   yes   yes  none  sys.peer    sys_peer  3' : '8011   yes    no  none    reject    mobilize  1'}`,
    ),
    rule,
    '',
    'NTP Time:',
    rule,
    'ntp_gettime() returns code 0 (OK)',
    `  time ${seconds.toString(16).padStart(8, '0')}.${fraction.toString(16).padStart(8, '0')}  ${ntpLocalTime(now)}, (.${pad(now.getUTCMilliseconds(), 3)}000),`,
    '  maximum error 42672 us, estimated error 0 us',
    'ntp_adjtime() returns code 0 (OK)',
    '  modes 0x0 (),',
    '  offset 0.000 us, frequency 0.000 ppm, interval 1 s,',
    '  maximum error 42672 us, estimated error 0 us,',
    '  status 0x1 (PLL),',
    '  time constant 2, precision 1.000 us, tolerance 512 ppm,',
    rule,
    '',
  ].join(CRLF);
}

/** `syslog tail`: the lunash command log lines in the documented lunalogs format (Thales, "Luna
 * Shell: Command Logging": `2012 Feb 29 12:05:01 myLuna  local5 info  lunash [1234]: info : 0 :
 * Command: hsm show  : admin : Console`), which rsyslog also writes to messages. */
export function logLines(state: ApplianceState, options: { entries: number; search?: string }): string[] {
  const lines = state.audit.map((a) => {
    const d = new Date(a.at);
    return `${d.getUTCFullYear()} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${clock(d)} ${state.name}  local5 info  lunash [1234]: info : ${a.result} : Command: ${a.command}  : ${a.user} : 127.0.0.1`;
  });
  return lines.filter((l) => options.search === undefined || l.includes(options.search)).slice(-options.entries);
}

/** The HSM audit log file (name guessed). */
export function auditLogFile(state: ApplianceState): string {
  return `hsm_${state.serial}_00000001.log`;
}

/** HSM audit log records (guessed layout, with what Thales says each entry holds: when, who, what,
 * the result). */
export function auditLogRecords(state: ApplianceState): string[] {
  return state.audit.map((a, i) => {
    const d = new Date(a.at);
    const when = `${pad(d.getUTCFullYear() % 100)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${clock(d)}`;
    return `${i + 1},${when},S/N ${state.serial} user ${a.user} operation "${a.command}" returned ${a.result === 0 ? 'RC_OK(0x00000000)' : `RC_GENERAL_ERROR(${a.result})`}`;
  });
}

/** As `client fingerprint` prints it (5.x capture, CloudHSM Classic CLI test data:
 * `D9:9E:25:...`): the MD5 of the certificate (DER), two upper-case hex digits a byte, colon-
 * separated; undefined for text that is not a PEM certificate. */
export function certificateFingerprint(pem: string): string | undefined {
  let der: Buffer;
  try {
    der = new X509Certificate(pem).raw;
  } catch {
    return undefined;
  }
  return [...createHash('md5').update(der).digest()]
    .map((byte) => byte.toString(16).toUpperCase().padStart(2, '0'))
    .join(':');
}
