import { parseHsmShow, parseKeyValues, parseResult, parseTable } from '../../activities/device/lunash-parser';
import { scrub } from '../../activities/device/secrets';

// Samples in the shapes the Luna Network HSM 7 appliance prints (see ../shared/LUNA.md).

const HSM_SHOW_INITIALISED = `
   Appliance Details:
   ==================
   Software Version:                 7.4.0-226

   HSM Details:
   ============
   HSM Label:                        HSM1
   Serial #:                         1296842
   Firmware:                         7.0.3
   HSM Model:                        Luna K7
   Authentication Method:            Password
   HSM Admin login status:           Logged In
   HSM Admin login attempts left:    3 before HSM zeroization!
   Manually Zeroized:                No
   HSM Tamper State:                 No tamper events

   Partitions created on HSM:
   ==========================
   Partition:    1296842001, Name: payments
   Partition:    1296842002, Name: tokens

   HSM Storage Information:
   ========================
   Maximum HSM Storage Space (Bytes): 33554432
   Space In Use (Bytes):             43008

   Number of partitions allowed:     10
   Number of partitions created:     2

Command Result : 0 (Success)`;

test('hsm show: an initialised HSM', () => {
  expect(parseHsmShow(HSM_SHOW_INITIALISED)).toEqual({
    label: 'HSM1',
    serial: '1296842',
    firmware: '7.0.3',
    model: 'Luna K7',
    softwareVersion: '7.4.0-226',
    zeroized: false,
    manuallyZeroized: false,
    loggedIn: true,
    partitions: [
      { serial: '1296842001', name: 'payments' },
      { serial: '1296842002', name: 'tokens' },
    ],
    partitionsAllowed: 10,
    partitionsCreated: 2,
  });
});

test('hsm show: a fresh Azure unit is zeroized', () => {
  const fresh = HSM_SHOW_INITIALISED.replace('HSM1', 'no label')
    .replace('3 before HSM zeroization!', 'HSM IS ZEROIZED !!!!')
    .replace('Logged In', 'Not Logged In')
    .replace(/   Partition: .*\n/g, '');
  expect(parseHsmShow(fresh)).toMatchObject({ label: null, zeroized: true, loggedIn: false, partitions: [] });
});

test('hsm show without its fields is an error, not a guess', () => {
  expect(() => parseHsmShow('Command Result : 0 (Success)')).toThrow('unexpected \'hsm show\' output: no "HSM Label" field');
});

test('result lines: lunash success and failure, LunaCM', () => {
  expect(parseResult("'partition create' successful.\n\nCommand Result : 0 (Success)")).toEqual({ code: 0, text: 'Success', errors: [] });
  expect(parseResult("Error:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)\n\nCommand Result : 65535 (Luna Shell execution)")).toEqual({
    code: 65535,
    text: 'Luna Shell execution',
    errors: [{ line: "Error:  'client show' failed. (C000040A : RC_OBJECT_NOT_IN_LIST)", code: 'C000040A', name: 'RC_OBJECT_NOT_IN_LIST' }],
  });
  expect(parseResult('Backup complete.\nCommand Result : No Error')).toEqual({ code: 0, text: 'No Error', errors: [] });
  expect(parseResult('Error in execution: LUNA_RET_OBJECT_EXISTS.\nCommand Result : 0x80000203 (LUNA_RET_OBJECT_EXISTS)')).toMatchObject({
    code: 0x80000203,
    errors: [{ line: 'Error in execution: LUNA_RET_OBJECT_EXISTS.' }],
  });
  expect(parseResult('no result here')).toBeUndefined();
});

test('a zeroizing bad login ends with result 0: the Error line is what tells', () => {
  const out = "Error:  'hsm login' failed. (C0000022 : RC_SO_LOGIN_FAILURE_THRESHOLD)\nHSM IS ZEROIZED !!!!\n\nCommand Result : 0 (Success)";
  const result = parseResult(out)!;
  expect(result.code).toBe(0);
  expect(result.errors.map((e) => e.name)).toEqual(['RC_SO_LOGIN_FAILURE_THRESHOLD']);
});

test('tables and key/value blocks', () => {
  const list = 'Partition    Name       Objects   Status\n----------   --------   -------   ---------\n1296842001   payments   42        Activated\n1296842002   tokens     0         Activated\n\nCommand Result : 0 (Success)';
  expect(parseTable(list)).toEqual([
    { Partition: '1296842001', Name: 'payments', Objects: '42', Status: 'Activated' },
    { Partition: '1296842002', Name: 'tokens', Objects: '0', Status: 'Activated' },
  ]);
  expect(parseTable('There are no partitions.\n\nCommand Result : 0 (Success)')).toEqual([]);
  expect(parseKeyValues('ClientID:   app01\nHostname:   app01.example.com\nPartitions: "payments","tokens"\n\nCommand Result : 0 (Success)')).toEqual({
    ClientID: 'app01',
    Hostname: 'app01.example.com',
    Partitions: '"payments","tokens"',
  });
});

test('scrub replaces every occurrence of every secret', () => {
  expect(scrub('pw=s3cret and again s3cret; other=xyz', ['s3cret', 'xyz', ''])).toBe('pw=******** and again ********; other=********');
});
