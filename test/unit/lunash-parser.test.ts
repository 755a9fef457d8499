import { UnreadableOutput } from '../../activities/device/errors';
import {
  normaliseOutput,
  parseArchiveList,
  parseClientShow,
  parseHsmShow,
  parseKeyValues,
  parsePartitionList,
  parsePolicies,
  parseAuditRemoteHosts,
  parseResult,
  parseSlotList,
  parseSyslogRemoteHosts,
  parseTable,
  parseDefaultRoutes,
  parseFirmwareShow,
  parseStcStatus,
} from '../../activities/device/lunash-parser';
import { fixture } from '../support/lunash-fixtures';
import { scrub } from '../../activities/device/secrets';

// Outputs as captured from real Luna appliances (public Azure Dedicated HSM and Thales
// CipherTrust notes: hsm show on 7.2.0-220, partition list on 7.8.5-20; error blocks and the
// zeroizing login from 5.x-7.x captures). See ../shared/LUNA.md.

const HSM_SHOW_ZEROIZED_7_2 = `

   Appliance Details:
   ==================
   Software Version:                7.2.0-220

   HSM Details:
   ============
   HSM Label:
   Serial #:                           572413
   Firmware:                           7.0.3
   HSM Model:                          Luna K7
   HSM Part Number:                    808-000066-001
   Authentication Method:              Password
   HSM Admin login status:             Not Logged In
   HSM Admin login attempts left:      HSM IS ZEROIZED !!!!
   RPV Initialized:                    No
   Audit Role Initialized:             Yes
   Remote Login Initialized:           No
   Manually Zeroized:                  No
   Secure Transport Mode:              No
   HSM Tamper State:                   No tamper(s)

   Partitions created on HSM:
   ==============================
   There are no partitions.


   Number of partitions allowed:        10
   Number of partitions created:        0

   FIPS 140-2 Operation:
   =====================
   The HSM is NOT in FIPS 140-2 approved operation mode.

   HSM Storage Information:
   ========================
   Maximum HSM Storage Space (Bytes):   33554432
   Space In Use (Bytes):                0
   Free Space Left (Bytes):             33554432

   Environmental Information on HSM:
   =================================
   Battery Voltage:                     3.093 V
   Battery Warning Threshold Voltage:   2.750 V
   System Temp:                         35 deg. C
   System Temp Warning Threshold:       75 deg. C



Command Result : 0 (Success)`;

test('hsm show: a fresh Azure unit (7.2) is zeroized, with an empty label', () => {
  expect(parseHsmShow(HSM_SHOW_ZEROIZED_7_2)).toEqual({
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
  });
});

test('hsm show: an initialised HSM with partitions', () => {
  const initialised = HSM_SHOW_ZEROIZED_7_2.replace('HSM Label:', 'HSM Label:                          HSM1')
    .replace('HSM IS ZEROIZED !!!!', '3 before HSM zeroization!')
    .replace('Not Logged In', 'Logged In')
    .replace(
      '   There are no partitions.',
      '   Partition: 1582775433934, Name: payments\n   Partition: 1582775433935, Name: tokens',
    )
    .replace('Number of partitions created:        0', 'Number of partitions created:        2');
  expect(parseHsmShow(initialised)).toMatchObject({
    label: 'HSM1',
    zeroized: false,
    loggedIn: true,
    partitions: [
      { serial: '1582775433934', name: 'payments' },
      { serial: '1582775433935', name: 'tokens' },
    ],
    partitionsCreated: 2,
  });
});

test("hsm show: the HSM SO's login attempts left, read as printed; anything else is unreadable, never a number guessed", () => {
  const withAttempts = (value: string) =>
    HSM_SHOW_ZEROIZED_7_2.replace('HSM Label:', 'HSM Label:                          HSM1').replace(
      'HSM IS ZEROIZED !!!!',
      value,
    );
  expect(parseHsmShow(withAttempts('3 before HSM zeroization!')).soLoginAttemptsLeft).toBe(3);
  expect(parseHsmShow(withAttempts('1 before HSM zeroization!'))).toMatchObject({
    soLoginAttemptsLeft: 1,
    zeroized: false,
  });
  expect(parseHsmShow(HSM_SHOW_ZEROIZED_7_2)).toMatchObject({ soLoginAttemptsLeft: null, zeroized: true });
  for (const unreadable of ['', 'unknown', 'one before HSM zeroization!', '3 before lockout']) {
    expect(() => parseHsmShow(withAttempts(unreadable))).toThrow(
      /unexpected 'hsm show' output: (no "HSM Admin login attempts left" field|HSM Admin login attempts left ".*" is none of the values)/,
    );
  }
  expect(() => parseHsmShow(HSM_SHOW_ZEROIZED_7_2.replace(/ *HSM Admin login attempts left:.*\n/, ''))).toThrow(
    'no "HSM Admin login attempts left" field',
  );
});

test('hsm show without its fields is an error, not a guess', () => {
  expect(() => parseHsmShow('Command Result : 0 (Success)')).toThrow(
    'unexpected \'hsm show\' output: no "HSM Label" field',
  );
});

test('partition list as Luna 7.8 prints it', () => {
  const list = `                                                                              Storage (bytes)
                                                       Partition    ----------------------------------
Partition            Name                              Version      Objects  Total     Used     Free
===================  ================================  ===========  =======  =======  =======  =======

1582775433934        sp_sehsm3                         0                 23   648381     9408   638973

Command Result : 0 (Success)`;
  const spec = {
    command: 'partition list',
    columns: ['Partition', 'Name', 'Objects'],
    empty: ['There are no partitions.'],
  };
  expect(parseTable(list, spec)).toEqual([
    {
      Partition: '1582775433934',
      Name: 'sp_sehsm3',
      Version: '0',
      Objects: '23',
      Total: '648381',
      Used: '9408',
      Free: '638973',
    },
  ]);
  expect(parseTable('   There are no partitions.\n\n\n\nCommand Result : 0 (Success)', spec)).toEqual([]);
});

test('result lines: lunash success and failure, LunaCM', () => {
  expect(parseResult("'partition create' successful.\n\n\nCommand Result : 0 (Success)")).toEqual({
    code: 0,
    text: 'Success',
    errors: [],
  });
  const clientShow = `\n\nError:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)\n\nError:  Specified client does not exist.\n\n\nCommand Result : 65535 (Luna Shell execution)`;
  expect(parseResult(clientShow)).toEqual({
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
  });
  expect(parseResult('Backup complete.\nCommand Result : No Error')).toEqual({ code: 0, text: 'No Error', errors: [] });
  expect(
    parseResult('Error in execution: LUNA_RET_OBJECT_EXISTS.\nCommand Result : 0x80000203 (LUNA_RET_OBJECT_EXISTS)'),
  ).toMatchObject({
    code: 0x80000203,
    errors: [{ line: 'Error in execution: LUNA_RET_OBJECT_EXISTS.' }],
  });
  expect(parseResult('no result here')).toBeUndefined();
});

test('a zeroizing bad login ends with result 0: the Error line is what tells', () => {
  const out = `  Please enter the HSM Administrators' password:
  > **************


Error:  'hsm login' failed. (30000F : LUNA_RET_SO_LOGIN_FAILURE_THRESHOLD)

Error:    The HSM is in the factory reset (zeroized) state.


Command Result : 0 (Success)`;
  const result = parseResult(out)!;
  expect(result.code).toBe(0);
  expect(result.errors.map((e) => e.name)).toEqual(['LUNA_RET_SO_LOGIN_FAILURE_THRESHOLD', undefined]);
});

test('key/value blocks: client show', () => {
  expect(
    parseKeyValues(
      'ClientID:     app01\nHostname:     app01.example.com\nHTL Required: no\nOTT Expiry:   n/a\nPartitions:   "payments", "tokens"\n\nCommand Result : 0 (Success)',
    ),
  ).toEqual({
    ClientID: 'app01',
    Hostname: 'app01.example.com',
    'HTL Required': 'no',
    'OTT Expiry': 'n/a',
    Partitions: '"payments", "tokens"',
  });
});

test('scrub replaces every occurrence of every secret', () => {
  expect(scrub('pw=s3cret and again s3cret; other=xyz', ['s3cret', 'xyz', ''])).toBe(
    'pw=******** and again ********; other=********',
  );
});

describe('line ends are normalised once, whatever wrote them', () => {
  test.each([
    ['\\n', 'a\nb\n\nc'],
    ['\\r\\n', 'a\r\nb\r\n\r\nc'],
    ['\\r\\r\\n', 'a\r\r\nb\r\r\n\r\r\nc'],
    ['\\r\\r\\n split on \\r\\n?', 'a\n\nb\n\n\n\nc'],
    ['a stray \\r', 'a\rb\n\nc'],
  ])('%s', (_how, text) => {
    expect(normaliseOutput(text)).toBe('a\nb\n\nc');
  });

  test('a single-spaced text is left alone', () => {
    expect(normaliseOutput('a\nb\n\nc\nd')).toBe('a\nb\n\nc\nd');
  });
});

/** The error a reader throws, for its message. */
function unreadable(read: () => unknown): UnreadableOutput {
  try {
    read();
  } catch (err) {
    if (err instanceof UnreadableOutput) return err;
    throw err;
  }
  throw new Error('expected UnreadableOutput');
}

describe('fail closed: what cannot be read is an error naming the command and the line, never "none"', () => {
  const list7 = fixture('partition-list-7.x').output;

  test('a table whose header lacks a column the caller reads', () => {
    const e = unreadable(() => parsePartitionList(list7.replace('Objects', 'Keys   ')));
    expect(e.message).toContain(
      "unexpected 'partition list' output: no table with the columns Partition, Name, Objects",
    );
    expect(e.message).toContain('(at "Partition            Name');
    expect(e.retryable).toBe(false);
  });

  test('an Objects cell that is not a number', () => {
    const e = unreadable(() => parsePartitionList(list7.replace('           23', '         many')));
    expect(e.message).toContain('Objects "many" is not what that column holds (at "1582775433934        sp_sehsm3');
  });

  test('a value that sits across two columns', () => {
    expect(
      unreadable(() =>
        parsePartitionList(list7.replace('sp_sehsm3                         0', 'sp_sehsm3                        00')),
      ).message,
    ).toContain('does not sit in one column');
  });

  test('a 5.x row with a value too many', () => {
    const list5 = fixture('partition-list-5.x').output.replace('testPar2', 'test Par2');
    expect(unreadable(() => parsePartitionList(list5)).message).toContain(
      'a row of 7 values under a header of 6 columns (at "157826011    test Par2',
    );
  });

  test('an unknown layout, and an empty answer where a table is due', () => {
    expect(
      unreadable(() => parsePartitionList('Partitions: payments, tokens\n\nCommand Result : 0 (Success)')).message,
    ).toContain(
      'no table (Partition, Name, Objects), nor a documented "none" text (at "Partitions: payments, tokens")',
    );
    expect(unreadable(() => parsePartitionList('\n\nCommand Result : 0 (Success)')).message).toContain(
      'an empty answer where a table (Partition, Name, Objects) is due',
    );
    // "no rows" only in the device's documented words
    expect(unreadable(() => parsePartitionList(list7.replace(/\n1582775433934.*\n/, '\n'))).message).toContain(
      'a table header with no rows under it',
    );
    expect(
      unreadable(() => parsePartitionList('   No partitions found.\n\nCommand Result : 0 (Success)')).message,
    ).toContain('nor a documented "none" text');
  });

  test('hsm show: a missing field, a value it does not take, a partitions section that does not add up', () => {
    const show = fixture('hsm-show-7.x-initialised').output;
    expect(unreadable(() => parseHsmShow(show.replace(/ *HSM Model:.*\n/, ''))).message).toContain(
      'no "HSM Model" field',
    );
    expect(unreadable(() => parseHsmShow(show.replace('3 before HSM zeroization!', 'unknown'))).message).toContain(
      'HSM Admin login attempts left "unknown" is none of the values',
    );
    expect(
      unreadable(() =>
        parseHsmShow(show.replace('Number of partitions created:        2', 'Number of partitions created:        3')),
      ).message,
    ).toContain('lists 2 partitions but says 3 were created');
    expect(
      unreadable(() =>
        parseHsmShow(show.replace('Partition: 1582775433935, Name: tokens', 'Partition 1582775433935 tokens')),
      ).message,
    ).toContain('(at "Partition 1582775433935 tokens")');
    expect(unreadable(() => parseHsmShow(show.replace('Partitions created on HSM:', 'Partitions:'))).message).toContain(
      'no "Partitions created on HSM:" section',
    );
    expect(
      unreadable(() =>
        parseHsmShow(
          show.replace('Firmware:                           7.0.3', 'Firmware:                           seven'),
        ),
      ).message,
    ).toContain('Firmware "seven" is not a version');
  });

  test('client show: another client, or partitions it cannot read', () => {
    const out = fixture('client-show-partitions-5.x').output;
    expect(unreadable(() => parseClientShow(out, 'client9')).message).toContain(
      'it shows client "client1", not "client9"',
    );
    expect(
      unreadable(() =>
        parseClientShow(out.replace('"clientPar1", "clientPar2", "clientPar3"', 'clientPar1 clientPar2'), 'client1'),
      ).message,
    ).toContain('neither "<none>" nor a list of quoted names');
    expect(unreadable(() => parseClientShow(out.replace(/Partitions:.*\n/, ''), 'client1')).message).toContain(
      'no "Partitions" field',
    );
  });

  test('syslog remotehost list: no heading, or a line that is not a server', () => {
    const out = fixture('syslog-remotehost-list-5.3').output;
    expect(
      unreadable(() => parseSyslogRemoteHosts(out.replace('Remote logging server(s):', 'Servers:'))).message,
    ).toContain('no "Remote logging server(s):" heading');
    expect(
      unreadable(() => parseSyslogRemoteHosts(out.replace('10.0.106.107:514, udp', '10.0.106.107 (514/udp)'))).message,
    ).toContain('a line that is not "host:port, protocol" (at "10.0.106.107 (514/udp)")');
  });

  test('hsm showPolicies: the capabilities alone are not the policy table', () => {
    const out = fixture('hsm-showpolicies-6.x').output;
    const capabilitiesOnly = out.slice(0, out.indexOf('The following policies are set'));
    expect(unreadable(() => parsePolicies(capabilitiesOnly)).message).toContain(
      'no table with the columns Description, Value, Code, Destructive (found: Description, Value)',
    );
    expect(unreadable(() => parsePolicies(out.replace('On         12', 'Maybe      12'))).message).toContain(
      'Value "Maybe" is not what that column holds',
    );
  });

  test('hsm showPolicies in its 7.x form: read by structure as the 6.x one is; a row that does not fit, or a code listed twice, fails it all', () => {
    const out = fixture('hsm-showpolicies-7.x').output;
    const six = parsePolicies(fixture('hsm-showpolicies-6.x').output);
    expect(parsePolicies(out).map((p) => [p.code, p.description, p.destructive])).toEqual(
      six.map((p) => [p.code, p.description, p.destructive]),
    );
    expect(
      unreadable(() => parsePolicies(out.replace('Off          21        No', 'Off          21'))).message,
    ).toContain('Destructive "" is not what that column holds');
    expect(
      unreadable(() => parsePolicies(out.replace('On           29        Yes', 'On           12        Yes'))).message,
    ).toContain('policy 12 is listed twice');
    expect(
      unreadable(() => parsePolicies(out.replace('On           7         Yes', 'Enabled      7         Yes'))).message,
    ).toContain('Value "Enabled" is not what that column holds');
    const noTable = out.slice(0, out.indexOf('   Description                              Value        Code'));
    expect(unreadable(() => parsePolicies(noTable)).message).toContain(
      'no table with the columns Description, Value, Code, Destructive',
    );
  });

  test('audit remotehost list (guessed layout): hosts under the heading; anything else is unreadable', () => {
    const out = fixture('audit-remotehost-list').output;
    expect(parseAuditRemoteHosts(out.replace('  192.20.9.160:1660, tcp\n', ''))).toEqual([]);
    expect(
      unreadable(() => parseAuditRemoteHosts(out.replace('192.20.9.160:1660, tcp', '192.20.9.160 tcp'))).message,
    ).toContain('a line that is not "host:port, protocol"');
    expect(
      unreadable(() => parseAuditRemoteHosts(out.replace('Remote audit logging server(s):', 'Audit servers:'))).message,
    ).toContain('no "Remote audit logging server(s):" heading');
  });

  test('hsm firmware show, network route show, hsm stc status, LunaCM slot list and partition archive list', () => {
    expect(
      unreadable(() => parseFirmwareShow(fixture('hsm-firmware-show').output.replace('7.8.4', 'pending'))).message,
    ).toContain('Upgrade Firmware "pending" is not a version nor "None"');
    expect(
      unreadable(() =>
        parseFirmwareShow(fixture('hsm-firmware-show').output.replace('Current Firmware', 'Running Firmware')),
      ).message,
    ).toContain('no "Current Firmware" field');
    const routes = fixture('network-route-show').output;
    expect(
      unreadable(() => parseDefaultRoutes(routes.replace('10.0.2.1        0.0.0.0         UG', '10.0.2.1        UG')))
        .message,
    ).toContain('a line that is not a route (at "0.0.0.0         10.0.2.1        UG');
    expect(unreadable(() => parseDefaultRoutes(routes.replace('Kernel IP routing table\n', ''))).message).toContain(
      'no "Kernel IP routing table" heading',
    );
    expect(unreadable(() => parseStcStatus('STC: on\n\nCommand Result : 0 (Success)')).message).toContain(
      'no "Enabled" field',
    );
    expect(unreadable(() => parseStcStatus('Enabled: maybe\n\nCommand Result : 0 (Success)')).message).toContain(
      'Enabled "maybe" is none of the values it is documented to take',
    );
    expect(unreadable(() => parseSlotList('No slots\n\nCommand Result : No Error')).message).toContain(
      'no "Slot Id ->"',
    );
    const archive = fixture('lunacm-partition-archive-list').output;
    expect(unreadable(() => parseArchiveList(archive.replace('      42', '    many'))).message).toContain(
      'Objects "many" is not what that column holds',
    );
    // a listing in a layout that names no object count is not read as "no objects"
    expect(unreadable(() => parseArchiveList(archive.replace('Objects', 'Serial '))).message).toContain(
      'no table with the columns Partition Name, Objects',
    );
  });
});
