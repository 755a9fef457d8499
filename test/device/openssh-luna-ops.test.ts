import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { createActivities } from '../../activities';
import { outboxNotifier } from '../../activities/notify';
import type { OperationEvidence, OperationInput } from '../../activities/types';
import type { OperationName } from '../../ceremonies/operations';
import { startAppliance } from '../../simulator/appliance-server';
import { startOpenSshAppliance, type OpenSshAppliance, type SshdAuthentication } from '../support/openssh';
import { CLIENT_CERTIFICATES, initialiseState, SECRETS } from '../support/simulated-hsm';
import { certificateFingerprint } from '../../simulator/lunash/appliance-logs';

// The device operations against a real OpenSSH sshd whose ForceCommand is the simulator's lunash
// on a real PTY (`test/support/openssh.ts`), in the two ways sshd asks for a password. Every
// other device test talks to our ssh2 simulator, written with our client's assumptions; here the
// SSH server, its authentication and the terminal (echo, CR/LF) are the real ones.

const PASSWORD = SECRETS.TEST_TENANTADMIN_PASSWORD;
const SO_PASSWORD = SECRETS.TEST_HSM_SO_PASSWORD;

/** A raw session with a plain ssh2 client (answering keyboard-interactive itself), as our client
 * opens it (`vt100`, 200x60): the bytes the server sends for `hsm login` (with the SO password
 * typed at the hidden prompt), `partition list` and `exit`, each typed at its prompt; or with
 * `typeAhead`, those lines and `exit` typed at once after the login. */
async function rawSession(port: number, typeAhead?: string[]): Promise<string> {
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) =>
      finish(prompts.map(() => PASSWORD)),
    );
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'tenantadmin',
      password: PASSWORD,
      tryKeyboard: true,
      hostVerifier: () => true,
      readyTimeout: 10_000,
    });
  });
  try {
    const stream = await new Promise<import('ssh2').ClientChannel>((resolve, reject) =>
      client.shell({ term: 'vt100', cols: 200, rows: 60 }, (err, s) => (err ? reject(err) : resolve(s))),
    );
    let raw = '';
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    const waitFor = async (done: () => boolean) => {
      const until = Date.now() + 10_000;
      while (!done()) {
        if (Date.now() > until) throw new Error(`still waiting; so far ${JSON.stringify(raw)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const prompts = () => raw.split('lunash:>').length - 1;
    /** Type a line once the previous one's prompt is there (as our client does: no type-ahead). */
    const typeAtPrompt = async (line: string) => {
      const seen = prompts();
      stream.write(`${line}\r`);
      await waitFor(() => prompts() > seen && raw.endsWith('lunash:>'));
    };
    await waitFor(() => raw.endsWith('lunash:>'));
    stream.write('hsm login\r');
    await waitFor(() => raw.endsWith('> '));
    const seen = prompts();
    stream.write(`${SO_PASSWORD}\r`);
    await waitFor(() => prompts() > seen && raw.endsWith('lunash:>'));
    if (typeAhead) stream.write(`${[...typeAhead, 'exit'].join('\r')}\r`);
    else {
      await typeAtPrompt('partition list');
      stream.write('exit\r');
    }
    await closed;
    return raw;
  } finally {
    client.end();
  }
}

/** The same session against the ssh2 simulator, for comparison. */
async function rawSessionOnSsh2Simulator(name: string, serial: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ssh2-sim-'));
  const appliance = await startAppliance({ name, dir: join(dir, name), serial });
  try {
    initialiseState(appliance.state);
    return await rawSession(appliance.port);
  } finally {
    await appliance.close();
  }
}

/** The varying parts: the login time. */
const normalise = (raw: string) => raw.replace(/Last login: [^\r\n]*/, 'Last login: <time>');

describe.each<SshdAuthentication>(['password', 'keyboard-interactive'])(
  'OpenSSH sshd, %s authentication, lunash on a PTY',
  (authentication) => {
    let sshd: OpenSshAppliance;
    let activities: ReturnType<typeof createActivities>;

    beforeAll(async () => {
      sshd = await startOpenSshAppliance(authentication);
      activities = createActivities({
        ledgerPath: join(sshd.dir, 'ledger.jsonl'),
        notifier: outboxNotifier(join(sshd.dir, 'outbox.jsonl')),
        inventoryPath: sshd.inventoryPath,
        packagesDir: join(sshd.dir, 'packages'),
        env: sshd.env,
      });
    });
    afterAll(async () => {
      await sshd?.close();
    });

    async function op(name: OperationName, args: OperationInput['args'] = {}): Promise<OperationEvidence> {
      const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
      return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, {
        ceremonyId: 'c-1',
        kind: 'rehearsal',
        stepId: 's-1',
        op: name,
        hsm: sshd.name,
        args,
      });
    }

    const state = () => sshd.state.read();
    const commandsRun = (match: string) =>
      state().audit.filter((a) => a.command.startsWith(match) && a.result === 0).length;

    test("the session bytes are the ssh2 simulator's: banner, prompt, one echo, CRLF, a hidden password", async () => {
      const viaSshd = await rawSession(sshd.port);
      const viaSsh2 = await rawSessionOnSsh2Simulator(sshd.name, state().serial);
      expect(normalise(viaSshd)).toBe(normalise(viaSsh2));
      expect(viaSshd).toContain(`[${sshd.name}] lunash:>hsm login\r\n`); // echoed once, by the PTY
      expect(viaSshd).not.toContain('\r\r\n');
      expect(viaSshd).not.toContain(SO_PASSWORD);
      expect(state().audit.map((a) => a.command)).toEqual(expect.arrayContaining(['hsm login', 'partition list']));
    });

    test('type-ahead is echoed by the PTY as it arrives, before the output of the command still running', async () => {
      // the kernel echoes input when it arrives, lunash reads it later: a client that types ahead
      // must not expect a command's output right after that command's echo (ours waits for the
      // prompt). The ssh2 simulator echoes on arrival too, but runs a command within the same turn
      // of its event loop, so there the echo of a typed-ahead line usually follows the output.
      const raw = await rawSession(sshd.port, ['partition list', 'hsm show']);
      const afterLogin = raw.slice(raw.indexOf("'hsm login' successful."));
      expect(afterLogin).toContain('lunash:>partition list\r\nhsm show\r\nexit\r\n');
      expect(afterLogin.indexOf('There are no partitions.')).toBeGreaterThan(afterLogin.indexOf('exit\r\n'));
      expect(afterLogin).toMatch(/HSM Label:\s+HSM1[\s\S]*Command Result : 0 \(Success\)\r\n\[hsm-ossh-1\] lunash:>$/);
    });

    test('hsm.show reads the appliance through sshd', async () => {
      const evidence = await op('hsm.show');
      expect(evidence).toMatchObject({
        outcome: 'checked',
        probe: { label: 'HSM1', zeroized: false, firmware: '7.0.3', partitionsAllowed: 10 },
      });
      expect(evidence.transcript?.map((t) => t.command)).toEqual(['hsm show']);
    });

    test('partition.create: applied once, then already present without a second create', async () => {
      const first = await op('partition.create', { partition: 'payments' });
      expect(first).toMatchObject({
        outcome: 'applied',
        commands: ['hsm login', 'partition create -partition payments'],
      });
      expect(state().partitions.map((p) => p.name)).toContain('payments');
      const second = await op('partition.create', { partition: 'payments' });
      expect(second).toMatchObject({ outcome: 'already-present', commands: [] });
      expect(commandsRun('partition create')).toBe(1);
    });

    test('hsm.configureSyslog: applied once, then already present', async () => {
      const args = { host: '10.1.2.3', port: 514, protocol: 'udp' };
      expect(await op('hsm.configureSyslog', args)).toMatchObject({
        outcome: 'applied',
        commands: ['syslog remotehost add -host 10.1.2.3 -port 514 -protocol udp'],
      });
      expect(state().syslogHosts).toEqual([{ host: '10.1.2.3', port: 514, protocol: 'udp' }]);
      expect(await op('hsm.configureSyslog', args)).toMatchObject({ outcome: 'already-present', commands: [] });
      expect(commandsRun('syslog remotehost add')).toBe(1);
    });

    test('partition.assignClient: client registered (with its certificate) and assigned once, then already present', async () => {
      sshd.state.update((s) => {
        s.partitions.push({ name: 'apps', serial: '1500000000099', objects: 0, createdAt: new Date().toISOString() });
      });
      const args = { client: 'app01', host: 'app01.example.com', partition: 'apps' };
      // not registered yet: assigning refuses, and sends nothing
      expect((await op('partition.assignClient', args).catch((err: Error) => err)) as Error).toMatchObject({
        message: expect.stringContaining('client app01 (app01.example.com) is not registered'),
      });
      // registered as an operator does it: its certificate copied as app01.example.com.pem first
      // (this sshd has no scp sink: the registration is written into the appliance's state)
      const fingerprint = certificateFingerprint(readFileSync(CLIENT_CERTIFICATES.app01, 'utf8'))!;
      sshd.state.update(
        (s) =>
          void s.clients.push({
            name: 'app01',
            host: 'app01.example.com',
            partitions: [],
            certificateFingerprint: fingerprint,
          }),
      );
      expect(await op('partition.assignClient', args)).toMatchObject({
        outcome: 'applied',
        commands: ['client assignPartition -client app01 -partition apps'],
      });
      expect(state().clients).toEqual([
        { name: 'app01', host: 'app01.example.com', partitions: ['apps'], certificateFingerprint: fingerprint },
      ]);
      expect(await op('partition.assignClient', args)).toMatchObject({ outcome: 'already-present', commands: [] });
      expect(commandsRun('client register')).toBe(0);
      expect(commandsRun('client assignPartition')).toBe(1);
    });

    test('sessions at the same time (one lunash process each) lose no change: the state file is locked across processes', async () => {
      const names = Array.from({ length: 6 }, (_, i) => `c${i}`);
      await Promise.all(names.map((partition) => op('partition.create', { partition })));
      expect(state().partitions.map((p) => p.name)).toEqual(expect.arrayContaining(names));
      for (const partition of names)
        expect(
          state().audit.filter((a) => a.command === `partition create -partition ${partition}` && a.result === 0),
        ).toHaveLength(1);
    });
  },
);

describe('OpenSSH sshd, publickey authentication only', () => {
  let sshd: OpenSshAppliance;
  beforeAll(async () => {
    sshd = await startOpenSshAppliance('publickey');
  });
  afterAll(async () => {
    await sshd?.close();
  });

  /** The activities with the inventory as sshd's fixture writes it, or edited by `edit`. */
  function activitiesWith(edit: (inventory: string) => string = (t) => t) {
    const path = join(mkdtempSync(join(tmpdir(), 'ossh-inv-')), 'inventory.yaml');
    writeFileSync(path, edit(readFileSync(sshd.inventoryPath, 'utf8')));
    return createActivities({
      ledgerPath: join(sshd.dir, 'ledger.jsonl'),
      notifier: outboxNotifier(join(sshd.dir, 'outbox.jsonl')),
      inventoryPath: path,
      env: sshd.env,
    });
  }
  function op(
    activities: ReturnType<typeof createActivities>,
    name: OperationName,
    args: OperationInput['args'] = {},
  ): Promise<OperationEvidence> {
    const fn = activities[name] as (input: OperationInput) => Promise<OperationEvidence>;
    return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, {
      ceremonyId: 'c-1',
      kind: 'rehearsal',
      stepId: 's-1',
      op: name,
      hsm: sshd.name,
      args,
    });
  }

  test('with the key of the inventory (tenantadminKey), operations log in and run', async () => {
    const activities = activitiesWith();
    expect(await op(activities, 'hsm.show')).toMatchObject({ outcome: 'checked' });
    expect(await op(activities, 'partition.create', { partition: 'keyed' })).toMatchObject({ outcome: 'applied' });
    expect(await op(activities, 'partition.create', { partition: 'keyed' })).toMatchObject({
      outcome: 'already-present',
    });
  });

  test('with a password only, the failure says the server offers no method we have (not "wrong password")', async () => {
    const activities = activitiesWith((t) => t.replace(/\n\s*tenantadminKey: [^\n]+/, ''));
    const failure = await op(activities, 'hsm.show').catch((err: Error) => err);
    expect(failure).toMatchObject({ type: 'NoUsableAuthMethod', nonRetryable: true });
    expect((failure as Error).message).toMatch(
      /offers publickey for tenantadmin; the inventory's credential can do password, keyboard-interactive/,
    );
    // the first-login step does not mistake it for a password changed behind its back
    const first = await op(activities, 'hsm.changeInitialPassword').catch((err: Error) => err);
    expect(first).toMatchObject({ type: 'NoUsableAuthMethod' });
    expect((first as Error).message).not.toMatch(/changed it outside/);
  });
});

test('a refused password is AuthenticationFailed: against a password sshd with another password', async () => {
  const sshd = await startOpenSshAppliance('password', { name: 'hsm-ossh-2' });
  try {
    const activities = createActivities({
      ledgerPath: join(sshd.dir, 'l'),
      notifier: outboxNotifier(join(sshd.dir, 'o')),
      inventoryPath: sshd.inventoryPath,
      env: { ...sshd.env, TEST_TENANTADMIN_PASSWORD: 'not-the-password-1' },
    });
    const fn = activities['hsm.show'] as (input: OperationInput) => Promise<OperationEvidence>;
    const failure = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(fn, {
        ceremonyId: 'c-1',
        kind: 'rehearsal',
        stepId: 's-1',
        op: 'hsm.show' as const,
        hsm: sshd.name,
        args: {},
      })
      .catch((err: Error) => err);
    expect(failure).toMatchObject({ type: 'AuthenticationFailed' });
    expect((failure as Error).message).toMatch(
      /login as tenantadmin on 127.0.0.1:\d+ was refused: wrong password for this appliance user/,
    );
  } finally {
    await sshd.close();
  }
});
