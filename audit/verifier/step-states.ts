import type { OperationName } from '../../ceremonies/operations';
import { own } from '../../ceremonies/own';
import type { OperationEvidence } from '../../activities/types';

// What a step found and left, in words an auditor reads without the JSON: each operation family
// names the fields of its probe / verify state that prove the step (an HSM's label and zeroized
// flag, a partition's object count, a backup's label and count, a policy's value, …). Before and
// after are compared field by field: "zeroized: no → yes".

type State = Record<string, unknown>;
type Args = Record<string, unknown>;
/** Ordered (name, value) pairs read from an operation's state. */
type Fields = [string, string][];

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : text(v));
const count = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : text(v));
const list = (items: string[]) => (items.length ? items.join(', ') : 'none');
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): State => (v && typeof v === 'object' && !Array.isArray(v) ? (v as State) : {});
const has = (s: State, key: string) => s[key] !== undefined;

function text(v: unknown): string {
  if (v === null || v === undefined || v === '') return '(none)';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const json = JSON.stringify(v);
  return json.length > 160 ? `${json.slice(0, 157)}…` : json;
}

/** An HSM as `hsm show` describes it; partitions a count (zeroize) or the listed names. */
function hsm(s: State): Fields {
  const f: Fields = [];
  if (has(s, 'label')) f.push(['label', text(s.label)]);
  if (has(s, 'zeroized')) f.push(['zeroized', yesNo(s.zeroized)]);
  if (typeof s.partitions === 'number') f.push(['partitions', count(s.partitions)]);
  else if (Array.isArray(s.partitions)) f.push(['partitions', list(s.partitions.map((p) => text(rec(p).name)))]);
  if (has(s, 'firmware')) f.push(['firmware', text(s.firmware)]);
  const software = s.software ?? s.softwareVersion;
  if (software !== undefined) f.push(['appliance software', text(software)]);
  if (has(s, 'serial')) f.push(['serial', text(s.serial)]);
  if (arr(s.mismatches).length) f.push(['mismatches', arr(s.mismatches).map(text).join('; ')]);
  return f;
}

const partitions = (s: State): Fields => [
  ['partitions', list(arr(s.partitions).map((p) => `${text(rec(p).name)} (${count(rec(p).objects)} objects)`))],
];

function policy(s: State): Fields {
  return [[`policy ${text(s.policy)} (${text(s.description)})`, text(s.value)]];
}

function backup(s: State, a: Args): Fields {
  const backupState =
    s.target === 'absent' || s.backupObjects === null
      ? 'none'
      : `${text(s.label)}, ${count(s.backupObjects)} objects${s.target ? ` (${text(s.target)})` : ''}`;
  const f: Fields = [
    [`partition ${text(a.partition)}`, `${count(s.sourceObjects)} objects`],
    ['backup', backupState],
  ];
  if (s.target === undefined)
    f.push(['verified', yesNo(s.backupObjects !== null && s.backupObjects === s.sourceObjects)]);
  return f;
}

function firmware(s: State): Fields {
  const f: Fields = [];
  if (has(s, 'current'))
    f.push(
      ['running firmware', text(s.current)],
      ['staged firmware', text(s.upgrade)],
      ['rollback firmware', text(s.rollback)],
    );
  else f.push(...hsm(s));
  if (has(s, 'targetFirmware') || has(s, 'expectFirmware'))
    f.push(['target firmware', text(s.targetFirmware ?? s.expectFirmware)]);
  if (has(s, 'targetSoftware') || has(s, 'expectSoftware'))
    f.push(['target software', text(s.targetSoftware ?? s.expectSoftware)]);
  if (arr(s.problems).length) f.push(['problems', arr(s.problems).map(text).join('; ')]);
  return f;
}

function serverPem(s: State): Fields {
  return [
    ['server.pem', `${text(s.subject)}, valid until ${text(s.notAfter)}`],
    ['sha256 fingerprint', text(s.fingerprintSha256)],
  ];
}

const logSummary = (v: unknown) =>
  typeof v === 'string' ? v : `${count(rec(v).lines)} lines, sha256 ${text(rec(v).sha256).slice(0, 16)}…`;

const FORMATTERS: Partial<Record<OperationName, (s: State, a: Args) => Fields>> = {
  'hsm.show': hsm,
  'hsm.init': hsm,
  'hsm.zeroize': hsm,
  'hsm.checkZeroized': hsm,
  'hsm.verify': hsm,
  'hsm.changeInitialPassword': (s) => [
    [`${text(s.user)}'s new password stored`, yesNo(s.newPasswordStored)],
    [`${text(s.user)}'s new password accepted`, yesNo(s.newPasswordAccepted)],
  ],
  'hsm.checkTime': (s) => [
    ['appliance clock', `${text(s.applianceTime)} (${count(s.skewSeconds)} s from the worker's)`],
    ['NTP', rec(s.ntp).enabled ? `enabled, synchronised to ${text(rec(s.ntp).synchronisedTo)}` : 'not enabled'],
    ...(s.ntpProblem ? ([['problem', text(s.ntpProblem)]] as Fields) : []),
  ],
  'hsm.configureSyslog': (s) => [
    [
      'syslog hosts',
      list(arr(s.remoteHosts).map((h) => `${text(rec(h).host)}:${text(rec(h).port)}/${text(rec(h).protocol)}`)),
    ],
  ],
  'hsm.setPolicy': policy,
  'hsm.changeDestructivePolicy': policy,
  'hsm.policyIs': policy,
  'partition.create': partitions,
  'partition.present': (s) => [
    [`partition ${text(s.partition)}`, s.found ? `listed, ${count(rec(s.found).objects)} objects` : 'not listed'],
  ],
  'partition.checkLicence': (s) => [
    ['partitions', `${count(s.created)} of ${count(s.licensed)} licensed, adding ${count(s.adding)}`],
    [
      'free storage',
      `${count(s.storageFree)} of ${count(s.storageTotal)} bytes (a partition takes ${count(s.partitionSize)})`,
    ],
  ],
  'partition.assignClient': (s) => [
    [`client ${text(s.client)} registered`, yesNo(s.registered)],
    [`client ${text(s.client)} partitions`, list(arr(s.partitions).map(text))],
  ],
  'partition.revokeClient': (s) => [
    [`client ${text(s.client)} assigned partition ${text(s.partition)}`, yesNo(s.assigned)],
    ['assigned by', `step ${text(rec(s.assignedBy).step)} (${text(rec(s.assignedBy).outcome)})`],
    ...(s.kept ? ([['kept', text(s.kept)]] as Fields) : []),
  ],
  'client.register': (s) => [
    [`client ${text(s.client)} registered`, yesNo(s.registered)],
    ['registered certificate (MD5)', text(s.fingerprint)],
    ["the plan's certificate (MD5)", text(s.expected)],
  ],
  'ntls.serverCertificate': serverPem,
  'ntls.rotationBaseline': (s) => [
    ...serverPem(s),
    [
      'registered clients',
      list(arr(s.clients).map((c) => `${text(rec(c).client)} (owners: ${list(arr(rec(c).owners).map(text))})`)),
    ],
  ],
  'ntls.rotateCertificate': (s) => [
    ...serverPem(s),
    ['replaced certificate (sha256)', text(s.previousFingerprintSha256)],
  ],
  'hsm.exportLogs': (s) => [
    ['messages', logSummary(s.messages)],
    ['lunalogs', logSummary(s.lunalogs)],
    [
      'audit log',
      typeof s.audit === 'string'
        ? s.audit
        : rec(s.audit).tail
          ? `${text(rec(rec(s.audit).tail).file)}: ${logSummary(rec(s.audit).tail)}`
          : 'no audit log file',
    ],
  ],
  'backup.partition': backup,
  'backup.verify': backup,
  'backup.recent': (s) => [
    ['partitions', list(arr(s.partitions).map(text))],
    [
      `backed up within ${text(s.maxAgeDays)} days`,
      list(arr(s.covered).map((c) => `${text(rec(c).partition)} (${arr(rec(c).backups).map(text).join(', ')})`)),
    ],
    ...(arr(s.uncovered).length ? ([['not backed up', list(arr(s.uncovered).map(text))]] as Fields) : []),
  ],
  'vpn.check': (s) => [
    [
      `backup workstation ${text(s.host)}:${text(s.port)}`,
      s.banner ? `reached (${text(s.banner)})` : `not reached (${text(s.error)})`,
    ],
    ...(s.ntls
      ? ([
          [
            `HSM NTLS ${text(rec(s.ntls).host)}:${text(rec(s.ntls).port)} from the workstation`,
            rec(s.ntls).reachable ? 'reachable' : `not reachable (${text(rec(s.ntls).error)})`,
          ],
        ] as Fields)
      : []),
  ],
  'approval.standing': (s) => [
    [
      `standing approval ${text(s.id)}`,
      `${text(s.reference)}, approved by ${list(arr(s.approvedBy).map(text))}, expires ${text(s.expires)}`,
    ],
    ...(arr(s.problems).length ? ([['problems', arr(s.problems).map(text).join('; ')]] as Fields) : []),
  ],
  'firmware.upload': (s) => [
    ['package', `${text(s.file)} (${count(s.size)} bytes, sha256 ${text(s.sha256).slice(0, 16)}…)`],
    ['on the appliance', list(arr(s.onAppliance).map((f) => `${text(rec(f).file)} (${count(rec(f).size)} bytes)`))],
  ],
  'package.verify': (s) => [
    [
      `package ${text(s.file)}`,
      s.verified ? `verifies (${count(s.size)} bytes)` : `does not verify: ${text(s.problem)}`,
    ],
  ],
  'package.update': firmware,
  'firmware.upgrade': firmware,
  'appliance.reboot': firmware,
  'firmware.onTarget': firmware,
  'firmware.upgradePath': firmware,
  'appliance.singleDefaultRoute': (s) => [
    ['default routes', list(arr(s.defaultRoutes).map((r) => `via ${text(rec(r).gateway)} on ${text(rec(r).iface)}`))],
  ],
  'azure.matchesAppliance': (s) => [
    ['Azure resource', text(s.resourceId)],
    ['private IPs (ARM)', list(arr(s.privateIps).map(text))],
    [
      'appliance',
      `${text(s.host)} (${list(arr(s.addresses).map(text))}), serial ${text(s.serial)} (expected ${text(s.expectedSerial)})`,
    ],
    ...(arr(s.mismatches).length ? ([['mismatches', arr(s.mismatches).map(text).join('; ')]] as Fields) : []),
  ],
  'azure.deleteDedicatedHsm': (s) => [
    ['Azure resource', text(s.resourceId)],
    [
      'provisioning state',
      `${text(s.provisioningState)}${s.getStatus !== undefined ? ` (ARM GET ${text(s.getStatus)})` : ''}`,
    ],
  ],
};

/** The fields of a state: the operation's own, or every key compactly for one without. */
export function stateFields(op: string, state: unknown, args: Args = {}): Fields {
  const s = rec(state);
  const formatter = own(FORMATTERS as Record<string, (s: State, a: Args) => Fields>, op);
  return formatter ? formatter(s, args) : Object.entries(s).map(([k, v]) => [k, text(v)]);
}

const joined = (f: Fields) => f.map(([k, v]) => `${k}: ${v}`).join('; ');

/** One line of what the step proved: before → after for a change, the state for a check. */
export function stateLine(evidence: OperationEvidence, args: Args = {}): string {
  const after = stateFields(evidence.op, evidence.verify, args);
  if (evidence.outcome === 'checked') return `holds: ${joined(after)}`;
  if (evidence.outcome === 'present' || evidence.outcome === 'absent') return `${evidence.outcome}: ${joined(after)}`;
  const before = new Map(stateFields(evidence.op, evidence.probe, args));
  const afterMap = new Map(after);
  const names = [...new Set([...before.keys(), ...afterMap.keys()])];
  const parts = names.map((k) => {
    const [b, a] = [before.get(k), afterMap.get(k)];
    return b === a ? `${k}: ${a}` : `${k}: ${b ?? '(none)'} → ${a ?? '(none)'}`;
  });
  const prefix = evidence.resumed
    ? `resumed after a lost attempt (${evidence.resumed}): `
    : evidence.outcome === 'already-present'
      ? 'already in place, nothing sent: '
      : '';
  return `${prefix}${parts.join('; ')}`;
}
