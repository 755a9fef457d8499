import { parseHsmShow, parseKeyValues, parseResult, parseTable } from '../../activities/device/lunash-parser';
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
    manuallyZeroized: false,
    loggedIn: false,
    partitions: [],
    partitionsAllowed: 10,
    partitionsCreated: 0,
  });
});

test('hsm show: an initialised HSM with partitions', () => {
  const initialised = HSM_SHOW_ZEROIZED_7_2.replace('HSM Label:', 'HSM Label:                          HSM1')
    .replace('HSM IS ZEROIZED !!!!', '3 before HSM zeroization!')
    .replace('Not Logged In', 'Logged In')
    .replace('   There are no partitions.', '   Partition: 1582775433934, Name: payments\n   Partition: 1582775433935, Name: tokens')
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

test('hsm show without its fields is an error, not a guess', () => {
  expect(() => parseHsmShow('Command Result : 0 (Success)')).toThrow('unexpected \'hsm show\' output: no "HSM Label" field');
});

test('partition list as Luna 7.8 prints it', () => {
  const list = `                                                                              Storage (bytes)
                                                       Partition    ----------------------------------
Partition            Name                              Version      Objects  Total     Used     Free
===================  ================================  ===========  =======  =======  =======  =======

1582775433934        sp_sehsm3                         0                 23   648381     9408   638973

Command Result : 0 (Success)`;
  expect(parseTable(list)).toEqual([{ Partition: '1582775433934', Name: 'sp_sehsm3', Version: '0', Objects: '23', Total: '648381', Used: '9408', Free: '638973' }]);
  expect(parseTable('   There are no partitions.\n\n\n\nCommand Result : 0 (Success)')).toEqual([]);
});

test('result lines: lunash success and failure, LunaCM', () => {
  expect(parseResult("'partition create' successful.\n\n\nCommand Result : 0 (Success)")).toEqual({ code: 0, text: 'Success', errors: [] });
  const clientShow = `\n\nError:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)\n\nError:  Specified client does not exist.\n\n\nCommand Result : 65535 (Luna Shell execution)`;
  expect(parseResult(clientShow)).toEqual({
    code: 65535,
    text: 'Luna Shell execution',
    errors: [
      { line: "Error:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)", code: 'C000040A', name: 'RC_OBJECT_NOT_IN_LIST' },
      { line: 'Error:  Specified client does not exist.', code: undefined, name: undefined },
    ],
  });
  expect(parseResult('Backup complete.\nCommand Result : No Error')).toEqual({ code: 0, text: 'No Error', errors: [] });
  expect(parseResult('Error in execution: LUNA_RET_OBJECT_EXISTS.\nCommand Result : 0x80000203 (LUNA_RET_OBJECT_EXISTS)')).toMatchObject({
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
  expect(parseKeyValues('ClientID:     app01\nHostname:     app01.example.com\nHTL Required: no\nOTT Expiry:   n/a\nPartitions:   "payments", "tokens"\n\nCommand Result : 0 (Success)')).toEqual({
    ClientID: 'app01',
    Hostname: 'app01.example.com',
    'HTL Required': 'no',
    'OTT Expiry': 'n/a',
    Partitions: '"payments", "tokens"',
  });
});

test('scrub replaces every occurrence of every secret', () => {
  expect(scrub('pw=s3cret and again s3cret; other=xyz', ['s3cret', 'xyz', ''])).toBe('pw=******** and again ********; other=********');
});
