import { result } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { exportedHistoryText } from '../support/history';
import { initialiseDirectly, SECRETS } from '../support/simulated-hsm';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('partition');
  initialiseDirectly(env.sim);
});
afterAll(async () => {
  await env?.close();
});

test("partition-create: licence and storage, gate, create, the client's certificate up then register, assign, verify, server.pem for the client owner, roles recorded by the partition owner", async () => {
  const { sim, h } = env;
  const id = await env.start('partition-create', {
    partition: 'payments',
    client: 'app01',
    clientHost: 'app01.example.com',
  });
  const final = await driveGates(h.ceremonies, id, { signoffReference: 'PO/CO/CU initialised 2026-11-29 by ops' });
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => s.id)).toEqual([
    'licence',
    'approve',
    'create',
    'register',
    'assign',
    'verify',
    'server-certificate',
    'roles',
  ]);
  expect(final.steps[0].evidence).toMatchObject({
    outcome: 'checked',
    probe: { licensed: 10, created: 0, adding: 1, storageTotal: 33554432, partitionSize: 3355443 },
  });
  expect(final.decisions.find((d) => d.gate === 'roles')).toMatchObject({
    decision: 'signoff',
    actor: OPERATOR,
    reference: 'PO/CO/CU initialised 2026-11-29 by ops',
  });
  const appliance = sim.appliance.state.read();
  expect(appliance.partitions.map((p) => p.name)).toEqual(['payments']);
  const commands = appliance.audit.map((a) => a.command);
  const copied = commands.findIndex((c) => c.startsWith('(scp -t .: app01.example.com.pem'));
  expect(copied).toBeGreaterThanOrEqual(0);
  expect(copied).toBeLessThan(commands.indexOf('client register -client app01 -hostname app01.example.com'));
  expect(appliance.clients).toEqual([
    {
      name: 'app01',
      host: 'app01.example.com',
      partitions: ['payments'],
      certificateFingerprint: expect.stringMatching(/^([0-9A-F]{2}:){15}[0-9A-F]{2}$/),
    },
  ]);

  // the appliance's certificate, kept as evidence, and the client owner's next commands: in the
  // partition owner's sign-off mail, the outcome mail and on the ticket
  const server = final.steps.find((s) => s.id === 'server-certificate')!.evidence!;
  expect(String(server.probe.pem)).toBe(appliance.serverCertificate?.trim());
  const addServer = '  vtl addServer -n 127.0.0.1 -c hsm-sim-1-server.pem';
  expect(server.nextSteps).toContain(addServer);
  expect((await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'signoff-requested')).body).toContain(
    addServer,
  );
  expect(
    (
      await h.waitForOutbox(
        (m) => m.ceremonyId === id && m.kind === 'outcome' && m.subject.includes('Ceremony completed'),
      )
    ).body,
  ).toContain(`its SHA-256 fingerprint must be ${String(server.probe.fingerprintSha256)}`);
  const history = await exportedHistoryText(h.ceremonies, id);
  expect(history).toContain('next-steps:server-certificate');
  expect(history).toContain('vtl verify   # partition payments must be listed');
  await env.expectNoSecretsInHistory(id);

  // the partition's own cloning domain: the owner is told the exact command and where the domain
  // is kept (the inventory's reference), never the domain itself
  const init = '  lunacm:> partition init -label payments -domain <the domain in env:TEST_BACKUP_DOMAIN>';
  const texts = [
    (await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'signoff-requested')).body,
    (
      await h.waitForOutbox(
        (m) => m.ceremonyId === id && m.kind === 'outcome' && m.subject.includes('Ceremony completed'),
      )
    ).body,
    history,
  ];
  for (const text of texts) {
    expect(text).toContain(init);
    expect(text).not.toContain(SECRETS.TEST_BACKUP_DOMAIN);
  }
  const { plan } = await h.ceremonies.plan(id);
  expect(plan.steps.find((s) => s.id === 'roles')?.title).toBe(
    'Partition payments initialised on app01.example.com: partition init -label payments -domain <the domain in env:TEST_BACKUP_DOMAIN>, roles PO, CO, CU',
  );
});

test('a partition that will be backed up needs HSM policy 7 (Allow cloning): checked before the gate; the partition owner is asked for policies 0 and 4', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => void (s.policies[7] = '0'));
  const id = await env.start('partition-create', {
    partition: 'vault',
    client: 'app02',
    clientHost: 'app02.example.com',
    backup: 'true',
  });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps.find((s) => s.id === 'cloning-allowed')?.error).toBe(
    'CheckFailed: hsm.policyIs: HSM policy 7 (Allow cloning) is 0, not 1',
  );
  expect(stopped.decisions).toEqual([]);
  const { plan } = await h.ceremonies.plan(id);
  expect(plan.steps.find((s) => s.id === 'roles')?.title).toContain('partition policies 0 and 4 (cloning) set to 1');
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'cloning is off on this HSM' });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  sim.appliance.state.update((s) => void (s.policies[7] = '1'));
});

test('partition-create stops before any gate when the free storage cannot hold another partition, naming the sizes', async () => {
  const { sim, h } = env;
  sim.appliance.state.update(
    (s) =>
      void s.partitions.push({
        name: 'huge',
        serial: '1500000000077',
        objects: 0,
        createdAt: new Date().toISOString(),
        size: 30_000_000,
      }),
  );
  const id = await env.start('partition-create', {
    partition: 'tokens',
    client: 'app02',
    clientHost: 'app02.example.com',
  });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.steps[0].error).toMatch(
    /^CheckFailed: partition\.checkLicence: the HSM has \d+ bytes of storage free; 1 partition\(s\) of the default size \(33554432 bytes \/ 10 licensed = 3355443 each\) do not fit$/,
  );
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'resize partitions first' });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  sim.appliance.state.update((s) => void (s.partitions = s.partitions.filter((p) => p.name !== 'huge')));
});

test('partition-create stops before any gate when the licence is used up, naming the limit', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => {
    s.licence.licensedPartitions = 1;
  });
  const id = await env.start('partition-create', {
    partition: 'tokens',
    client: 'app02',
    clientHost: 'app02.example.com',
  });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps[0].error).toBe(
    'CheckFailed: partition.checkLicence: the HSM is licensed for 1 partitions (at most 100 with licence upgrades) and has 1: it cannot take 1 more',
  );
  expect(stopped.decisions).toEqual([]);
  await h.ceremonies.resolve(id, { action: 'abort', by: OPERATOR, reason: 'licence upgrade first' });
  expect((await result(h.ceremonies, id)).phase).toBe('aborted');
  expect(sim.appliance.state.read().partitions.map((p) => p.name)).toEqual(['payments']);
});
