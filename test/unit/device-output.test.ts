import { UnreadableOutput } from '../../activities/device/errors';
import { archiveBackupAnswers, roleLoginAnswers } from '../../activities/device/lunacm-answers';
import { answerFor, pendingQuestion, type Answer } from '../../activities/device/luna-shell';
import { deviceWarnings, parseHsmShow, parsePartitionList, parseResult } from '../../activities/device/lunash-parser';
import { PROCEED } from '../../activities/device/luna-constants';
import { fixture } from '../support/lunash-fixtures';

// What the client accepts of a device's output besides the answer itself (docs/device-output.md):
// `Warning:` lines before the answer or right before its result line are read past and kept as
// warnings; anything else that makes an answer ambiguous still fails closed. And each question is
// answered only by the answer its documented form calls for, the line before it included.

const WARNING = 'Warning: The HSM battery voltage is low. Replace the battery.';

describe('warnings', () => {
  test('every warning line of an output is kept, once per line, trimmed', () => {
    expect(deviceWarnings(fixture('warning-hsm-show-7.x').output)).toEqual([WARNING]);
    expect(deviceWarnings(fixture('warning-partition-list-empty').output)).toEqual([WARNING]);
    expect(deviceWarnings(fixture('hsm-show-7.x-initialised').output)).toEqual([]);
    // the environment section's "Battery Warning Threshold Voltage:" is a field, not a warning
    expect(
      deviceWarnings(fixture('hsm-show-7.x-initialised').output.replace('Battery Voltage', 'Warning Voltage')),
    ).toEqual([]);
  });

  test('a warning before hsm show leaves every field as it was, and no "Warning" field', () => {
    expect(parseHsmShow(fixture('warning-hsm-show-7.x').output)).toEqual(
      parseHsmShow(fixture('hsm-show-7.x-initialised').output),
    );
  });

  test('a warning between the rows of a table is not skipped: the table cannot be read', () => {
    const listing = fixture('partition-list-5.x').output;
    const rows = listing.split('\n');
    const last = rows
      .map((l, i) => [l, i] as const)
      .filter(([l]) => /^\s*\d{6,}/.test(l))
      .pop()![1];
    rows.splice(last, 0, WARNING);
    expect(() => parsePartitionList(rows.join('\n'))).toThrow(UnreadableOutput);
  });

  test('a line of another form before "There are no partitions." still fails closed', () => {
    const empty = fixture('partition-list-empty').output;
    expect(parsePartitionList(`${WARNING}\n${empty}`)).toEqual([]);
    for (const other of [
      'Note: the HSM battery voltage is low.',
      'warning the battery is low',
      'Warning:',
      `${WARNING}\n    Replace it within 30 days.`,
    ]) {
      expect(() => parsePartitionList(`${other}\n${empty}`)).toThrow(UnreadableOutput);
    }
  });

  test('a warning does not hide an error: Error: lines and the result code are read as before', () => {
    const failed = `${WARNING}\n\n${fixture('error-client-show-not-registered').output}`;
    expect(parseResult(failed)).toEqual(parseResult(fixture('error-client-show-not-registered').output));
  });
});

/** Each question of a fixture (the text up to each typed `********` or `proceed`) with the reply
 * the answers give it, or null where none fits. */
function replies(name: string, answers: Answer[]): (string | null)[] {
  const { output, command } = fixture(name);
  const out: (string | null)[] = [];
  let answeredUpTo = 0;
  for (const m of output.matchAll(/\*{8}|(?<=[>] ?)proceed/g)) {
    const i = answerFor(output.slice(answeredUpTo, m.index), answers, answeredUpTo === 0 ? command : undefined);
    out.push(i < 0 ? null : answers[i].reply);
    answeredUpTo = m.index + m[0].length;
  }
  return out;
}

describe('questions, matched as documented', () => {
  const backup = archiveBackupAnswers({ so: 'SO', domain: 'DOMAIN', replacing: false });

  test('role login: LunaCM\'s own "enter password:" (Thales 7.2), the role named by the command', () => {
    expect(replies('lunacm-role-login', roleLoginAnswers('CO'))).toEqual(['CO']);
  });

  test('partition archive backup: the SO named on the line before "enter password:", then the domain', () => {
    expect(pendingQuestion('\n  Logging in as the SO on slot 0.\n\n  enter password: ')).toEqual({
      question: 'enter password:',
      leadIn: 'Logging in as the SO on slot 0.',
    });
    expect(replies('lunacm-partition-archive-backup', backup)).toEqual(['SO', 'DOMAIN']);
    // a warning between the line naming the SO and the question does not hide it
    expect(pendingQuestion(`\n  Logging in as the SO on slot 0.\n${WARNING}\n  enter password: `).leadIn).toBe(
      'Logging in as the SO on slot 0.',
    );
    expect(replies('error-lunacm-archive-backup-domain-mismatch', backup)).toEqual(['SO', 'DOMAIN']);
  });

  test('partition archive backup: the SO named on the question line itself', () => {
    expect(replies('lunacm-partition-archive-backup-so-on-question', backup)).toEqual(['SO', 'DOMAIN']);
  });

  test("a password question after a line naming someone else is not the Backup HSM SO's: no answer", () => {
    for (const leadIn of [
      'Logging in as the Crypto Officer on slot 0.',
      'Logging in as the Partition SO on slot 1.',
      '',
    ]) {
      expect(
        answerFor(`\n  ${leadIn}\n\n  enter password: `, backup, 'partition archive backup -slot 0 -partition b1'),
      ).toBe(-1);
    }
    // nor is the echo of the command a line before the question
    expect(
      answerFor(
        'partition archive backup -slot 0 -partition SO-copy\r\n\r\n  enter password: ',
        backup,
        'partition archive backup -slot 0 -partition SO-copy',
      ),
    ).toBe(-1);
  });

  test("partition init's documented questions (the Partition SO's) are not answered by the backup's answers", () => {
    expect(replies('lunacm-partition-init', backup)).toEqual([null, null, null]);
  });

  test("lunash's questions: the answer goes once the `> ` line is there, the words on the line before it", () => {
    expect(pendingQuestion("  Please enter the HSM Administrators' password:\r\n  > ")).toEqual({
      question: "Please enter the HSM Administrators' password:",
    });
    expect(replies('hsm-login', [{ prompt: /password:[\s>]*$/i, reply: 'HSM-SO' }])).toEqual(['HSM-SO']);
    expect(replies('error-hsm-login-zeroizing', [PROCEED, { prompt: /password:[\s>]*$/i, reply: 'HSM-SO' }])).toEqual([
      'proceed',
      'HSM-SO',
    ]);
  });
});
