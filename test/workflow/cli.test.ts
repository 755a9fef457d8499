import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli';
import { result, sampleInventory, startHarness, waitForStatus, type Harness } from '../support/harness';
import { keyFile } from '../support/people';

let h: Harness;
beforeAll(async () => {
  const inventoryPath = sampleInventory(mkdtempSync(join(tmpdir(), 'cli-')));
  h = await startHarness('cli', { inventoryPath });
  process.env.TEMPORAL_ADDRESS = h.config.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_TASK_QUEUE = h.config.TEMPORAL_TASK_QUEUE;
  process.env.CEREMONY_INVENTORY = inventoryPath;
});
afterAll(async () => {
  await h?.stop();
});

test('start, approve by digest prefix and follow a ceremony from the command line', async () => {
  const ticket = `jira:CLI-${Date.now()}`;
  const id = `ceremony-${ticket.replace(':', '-')}`;
  const started = await cli(
    '--json',
    'start',
    'rehearsal',
    '--hsm',
    'hsm-weu-1',
    '--ticket',
    ticket,
    '--requester',
    'dave@example.com',
    '--param',
    'quorum=2',
  );
  expect(started).toMatchObject({ code: 0, err: '' });
  const startedJson = JSON.parse(started.out);
  expect(startedJson).toMatchObject({ ceremonyId: id, existing: false });

  const again = await cli(
    'start',
    'rehearsal',
    '--hsm',
    'hsm-weu-1',
    '--ticket',
    ticket,
    '--requester',
    'dave@example.com',
  );
  expect(again.code).toBe(0);
  expect(again.out).toContain(`already has ceremony ${id} running; nothing new was started`);

  await waitForStatus(h.ceremonies, id, (s) => s.phase === 'awaiting-approval');
  const status = await cli('status', id);
  expect(status.out).toContain('AWAITING-APPROVAL');
  expect(status.out).toContain(startedJson.planDigest);

  const short = startedJson.planDigest.slice(0, 12);
  const wrong = await cli(
    'approve',
    id,
    '--gate',
    'approve',
    '--digest',
    '0123456789ab',
    '--as',
    'alice@example.com',
    '--key',
    keyFile('alice@example.com'),
  );
  expect(wrong).toMatchObject({ code: 1 });
  expect(wrong.err).toMatch(/^refused: plan digest mismatch/);
  const self = await cli(
    'approve',
    id,
    '--gate',
    'approve',
    '--digest',
    short,
    '--as',
    'dave@example.com',
    '--key',
    keyFile('dave@example.com'),
  );
  expect(self.err).toBe('refused: dave@example.com requested this ceremony and cannot approve it');

  expect(
    (
      await cli(
        'approve',
        id,
        '--gate',
        'approve',
        '--digest',
        short,
        '--as',
        'alice@example.com',
        '--key',
        keyFile('alice@example.com'),
      )
    ).out,
  ).toBe('approved: gate approve has 1 of 2');
  expect(
    (
      await cli(
        'approve',
        id,
        '--gate',
        'approve',
        '--digest',
        short,
        '--as',
        'carol@example.com',
        '--key',
        keyFile('carol@example.com'),
      )
    ).out,
  ).toBe('approved: gate approve has 2 of 2 (quorum reached)');
  expect((await result(h.ceremonies, id)).phase).toBe('completed');

  const listed = await cli('--json', 'list', '--hsm', 'hsm-weu-1');
  const rows = JSON.parse(listed.out);
  expect(rows.find((r: { ceremonyId: string }) => r.ceremonyId === id)).toMatchObject({
    kind: 'rehearsal',
    ticket,
    hsm: 'hsm-weu-1',
  });

  const timeline = await cli('timeline', id);
  expect(timeline.out).toMatch(/approve +alice@example.com +\[approve\] approved plan/);
  const again2 = await cli(
    'start',
    'rehearsal',
    '--hsm',
    'hsm-weu-1',
    '--ticket',
    ticket,
    '--requester',
    'dave@example.com',
  );
  expect(again2).toMatchObject({ code: 1 });
  expect(again2.err).toContain(`already ran ceremony ${id} (completed)`);
});

// bad input to every command: test/drills/bad-input-sweep.test.ts
