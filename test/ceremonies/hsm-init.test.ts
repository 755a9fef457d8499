import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { createLinkToken, newLinkKeyEntry, parseLinkKeys } from '../../ceremonies/approval-links';
import { buildWebServer } from '../../web/server';
import { keyring } from '../support/people';
import { result, waitForStatus } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('hsminit', { generatedTenantadminPassword: true });
});
afterAll(async () => {
  await env?.close();
});

test('hsm-init: first login with a generated password kept in the secret store, init, policy, syslog, verified; a lunash error is retried after an intervention', async () => {
  const { sim, h } = env;
  sim.appliance.faults.write({ commandErrors: [{ match: 'hsm init', code: 'C0000001', name: 'RC_GENERAL_ERROR', times: 1 }] });
  const id = await env.start('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9', policies: '15=1' });

  const { plan } = await h.ceremonies.plan(id);
  expect(plan.steps.find((s) => s.id === 'policy-15')).toMatchObject({ op: 'hsm.changeDestructivePolicy', irreversible: true });
  const mail = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'approval-requested');
  expect(mail.subject).toContain('irreversible destructive policy change');
  expect(mail.body).toContain('Set destructive HSM policy 15 (SO can reset partition PIN) to 1: erases every partition [irreversible]');

  const failed = await driveGates(h.ceremonies, id);
  expect(failed.phase).toBe('needs-intervention');
  expect(failed.steps.find((s) => s.id === 'init')?.error).toContain("LunaCommandError: hsm.init on hsm-sim-1: 'hsm init -label HSM1' failed: Error:  'hsm init' failed. (C0000001 : RC_GENERAL_ERROR)");
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'transient appliance error, retrying' });

  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => [s.id, s.status])).toEqual([
    ['approve', 'succeeded'],
    ['first-login', 'succeeded'],
    ['check-time', 'succeeded'],
    ['check-zeroized', 'succeeded'],
    ['init', 'succeeded'],
    ['policy-15', 'succeeded'],
    ['syslog', 'succeeded'],
    ['verify', 'succeeded'],
  ]);
  const generated = readFileSync(sim.tenantadminSecretFile, 'utf8').trim();
  const state = sim.appliance.state.read();
  expect(state.users.tenantadmin).toMatchObject({ password: generated, mustChangePassword: false });
  expect(state).toMatchObject({ zeroized: false, label: 'HSM1', policies: { 15: '1' }, syslogHosts: [{ host: '10.0.0.9', port: 514, protocol: 'udp' }] });
  await env.expectNoSecretsInHistory(id, [generated]);
});

test('hsm-init refuses an initialised HSM unless re-initialisation is requested, which adds a second gate and a zeroize', async () => {
  const { sim, h } = env;
  const refused = await env.start('hsm-init', { label: 'HSM2' });
  const stopped = await driveGates(h.ceremonies, refused);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps.find((s) => s.id === 'check-zeroized')?.error).toBe(
    'CheckFailed: hsm.checkZeroized: the HSM is already initialised (label "HSM1", 0 partitions); request a re-initialisation (reinit=true) to zeroize it first',
  );
  await h.ceremonies.resolve(refused, { action: 'abort', by: OPERATOR, reason: 'wrong HSM' });
  expect((await result(h.ceremonies, refused)).phase).toBe('aborted');
  expect(sim.appliance.state.read().label).toBe('HSM1');

  const reinit = await env.start('hsm-init', { label: 'HSM2', reinit: 'true' });
  const { plan } = await h.ceremonies.plan(reinit);
  expect(plan.steps.filter((s) => s.type === 'approval').map((s) => s.id)).toEqual(['approve', 'approve-reinit']);
  const final = await driveGates(h.ceremonies, reinit);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'first-login')?.evidence?.outcome).toBe('already-present');
  expect(sim.appliance.state.read()).toMatchObject({ label: 'HSM2', zeroized: false });
  await waitForStatus(h.ceremonies, reinit, (s) => s.phase === 'completed');
});

test('hsm-init stops before erasing anything while the appliance clock is off; once it is set, the retry goes on', async () => {
  const { sim, h } = env;
  sim.appliance.state.update((s) => void (s.clockOffsetMs = 2 * 3_600_000));
  const id = await env.start('hsm-init', { label: 'HSM3', reinit: 'true' });
  const stopped = await driveGates(h.ceremonies, id);
  expect(stopped.phase).toBe('needs-intervention');
  expect(stopped.steps.find((s) => s.id === 'check-time')?.error).toMatch(/^CheckFailed: hsm\.checkTime: the appliance clock is 7200 s ahead of the worker's \(at most 60 s\): set the time/);
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: false, label: 'HSM2' });

  sim.appliance.state.update((s) => void (s.clockOffsetMs = 0)); // the operator sets the clock
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'clock set with sysconf time' });
  expect((await driveGates(h.ceremonies, id)).phase).toBe('completed');
  expect(sim.appliance.state.read()).toMatchObject({ zeroized: false, label: 'HSM3' });
});

test('hsm-init with the default cloning domain: only when asked for, shown to the approvers, sent as -defaultdomain', async () => {
  const { sim, h } = env;
  const inventory = readFileSync(sim.inventoryPath, 'utf8');
  const noDomain = parse(inventory);
  delete noDomain.hsms['hsm-sim-1'].credentials.hsmDomain;
  writeFileSync(sim.inventoryPath, stringify(noDomain));
  try {
    await expect(env.start('hsm-init', { label: 'HSM4', reinit: 'true' })).rejects.toThrow('request defaultDomain=true');
    const id = await env.start('hsm-init', { label: 'HSM4', reinit: 'true', defaultDomain: 'true' });
    const mail = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'approval-requested');
    expect(mail.subject).toContain('Approve initialising hsm-sim-1 (WARNING: DEFAULT cloning domain)');
    expect(mail.body).toContain('Initialise the HSM with label HSM4 and WARNING: the DEFAULT cloning domain (-defaultdomain, insecure)');
    // the approver's decision page shows it too: in the gate, the step and its arguments
    const keys = parseLinkKeys(newLinkKeyEntry('k1'));
    const web = await buildWebServer({ ceremonies: h.ceremonies, linkKeys: keys, attestation: keyring.attestation, linkRateLimit: 1000, publicUrl: 'http://127.0.0.1' });
    try {
      const { planDigest } = await h.ceremonies.status(id);
      const { token } = createLinkToken(keys, { kind: 'approval', ceremonyId: id, gate: 'approve', approver: 'alice@example.com', digest: planDigest, exp: Math.floor(Date.now() / 1000) + 600 });
      const page = await web.inject({ method: 'GET', url: `/decide/${token}` });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Approve initialising hsm-sim-1 (WARNING: DEFAULT cloning domain)');
      expect(page.body).toContain('Initialise the HSM with label HSM4 and WARNING: the DEFAULT cloning domain (-defaultdomain, insecure)');
      expect(page.body).toContain('hsm.init {&quot;label&quot;:&quot;HSM4&quot;,&quot;defaultDomain&quot;:true}');
    } finally {
      await web.close();
    }
    expect((await driveGates(h.ceremonies, id)).phase).toBe('completed');
    expect(sim.appliance.state.read().audit.filter((a) => a.command.startsWith('hsm init')).map((a) => a.command).pop()).toBe('hsm init -label HSM4 -defaultdomain');
  } finally {
    writeFileSync(sim.inventoryPath, inventory);
  }
});
