import { createHash } from 'node:crypto';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatStatus } from '../../cli/format';
import { finishReboot } from '../../simulator/appliance-server';
import { result, waitForStatus } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly, MICROSOFT, SECRETS, SUPPORT } from '../support/simulated-hsm';
import { LunaShell } from '../../activities/device/luna-shell';

const file = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(2000));
const params = {
  file,
  sha256: createHash('sha256').update(content).digest('hex'),
  authCode: 'Rd79MAGdG9EY5',
  targetFirmware: '7.8.4',
  partitions: 'payments',
  rebootWaitSeconds: '2',
};

let env: CeremonyEnv;
beforeAll(async () => {
  env = await startCeremonyEnv('firmware');
  initialiseDirectly(env.sim, [{ name: 'payments', objects: 12 }]);
  mkdirSync(join(env.sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(env.sim.dir, 'packages', file), content);
});
afterAll(async () => {
  await env?.close();
});

test('a precheck that does not hold ends the ceremony `refused` before any gate opens: nobody is asked, nothing is changed', async () => {
  const { sim, h } = env;
  let refusals = 0;
  const refusedAt = async (precheck: string, reason: RegExp, request: Record<string, string> = params) => {
    const id = await env.start('firmware-upgrade', request, `jira:FW-${precheck}-${++refusals}`);
    const final = await result(h.ceremonies, id);
    expect(final).toMatchObject({ phase: 'refused', refusedBy: precheck, decisions: [] });
    expect(final.openGate).toBeUndefined();
    expect(final.refusal).toMatch(reason);
    expect(final.steps.find((s) => s.id === precheck)).toMatchObject({ status: 'failed' });
    expect(final.steps.filter((s) => s.status === 'skipped').map((s) => s.id)).toEqual(
      final.steps.slice(final.steps.findIndex((s) => s.id === precheck) + 1).map((s) => s.id),
    );
    const timeline = await h.ceremonies.timeline(id);
    expect(timeline.find((e) => e.type === 'precheck-refused')).toMatchObject({
      step: precheck,
      actor: 'worker',
      detail: final.refusal,
    });
    expect(formatStatus(final)).toContain(
      `refused by the precheck "${precheck}" before any gate (nothing was asked or changed): ${final.refusal}`,
    );
    const outcome = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'outcome');
    expect(outcome.body).toContain(`Refused by the precheck "${precheck}", before any gate: ${final.refusal}`);
    expect(h.outbox().filter((m) => m.ceremonyId === id && /requested/.test(m.kind))).toEqual([]);
    await env.expectNoSecretsInHistory(id); // and the exported history verifies
  };

  sim.appliance.state.update((s) => void (s.packages = []));
  await refusedAt(
    'upgrade-path',
    /^CheckFailed: firmware.upgradePath: lunasa-reboot-patch is not installed: the Luna Network HSM 7 Reboot Patch must be installed/,
  );
  sim.appliance.state.update((s) => void (s.packages = ['lunasa-reboot-patch-3']));
  // the software path: firmware 7.7.1's package needs appliance software 7.7.1 installed first
  await refusedAt(
    'upgrade-path',
    /^CheckFailed: firmware.upgradePath: the firmware 7.7.1 package needs appliance software 7.7.1 installed first; the appliance runs 7.4.0-226: update the appliance software to 7.7.1 .*7-7-1-20\.htm/,
    { ...params, file: 'lunafw_update-7.7.1-20.spkg', targetFirmware: '7.7.1' },
  );
  sim.appliance.state.update((s) => {
    s.routes.push({ destination: '0.0.0.0', gateway: '10.0.3.1', genmask: '0.0.0.0', flags: 'UG', iface: 'eth1' });
  });
  await refusedAt(
    'default-route',
    /^CheckFailed: appliance.singleDefaultRoute: the appliance has 2 default routes \(via 10.0.2.1 on eth0, via 10.0.3.1 on eth1\)/,
  );
  sim.appliance.state.update((s) => void s.routes.pop());
  // the Backup HSM could not take backups of partitions on the target firmware: refused before anyone is asked
  sim.backup.state.update((s) => void (s.backupHsmFirmware = '7.3.2'));
  await refusedAt(
    'backup-compatible',
    /^CheckFailed: backup.compatible: .*partitions on HSM firmware 7\.8\.4 .*need a Luna Backup HSM 7 on firmware 7\.7\.1 or newer; the Backup HSM runs 7\.3\.2/,
  );
  sim.backup.state.update((s) => void (s.backupHsmFirmware = '7.7.1'));

  const untouched = sim.appliance.state.read();
  expect(untouched).toMatchObject({ firmware: '7.0.3', files: {}, pendingSoftware: null, upgradeFirmware: null });
  expect(untouched.audit.filter((a) => !/^(hsm show|package list|network route show)$/.test(a.command))).toEqual([]);
});

test("firmware-upgrade in the vendor's order: sign-off, quorum, fresh backup, an scp copy cut short and sent again whole, the registered clients named and their stop acknowledged, package verify as the SO, package update, the reboot (hung: a support request, then the physical reboot), hsm firmware upgrade on the new software, the HSM back on the new firmware, both versions read back", async () => {
  const { sim, h } = env;
  sim.appliance.faults.write({
    rebootHangs: true,
    rebootMs: 200,
    interruptUpload: [{ match: file, afterBytes: 20_000, times: 1 }],
  });
  sim.appliance.state.update((s) => {
    s.clients.push({ name: 'app01', host: 'app01.example.com', partitions: ['payments'] });
    s.hsmRestartMs = 2500; // after hsm firmware upgrade the HSM restarts by itself and does not answer meanwhile
  });
  const id = await env.start('firmware-upgrade', params);

  const stuck = await driveGates(h.ceremonies, id, {
    signoffReference: 'Microsoft case 2611290010001234',
    timeoutMs: 90_000,
  });
  expect(stuck.phase).toBe('needs-intervention');
  expect(stuck.currentStep).toBe('reboot');
  expect(stuck.steps.find((s) => s.id === 'reboot')?.error).toMatch(
    /^RebootHung: appliance.reboot on hsm-sim-1: hsm-sim-1 did not come back within 2 s of the reboot/,
  );
  expect(stuck.decisions.map((d) => [d.gate, d.decision, d.actor])).toEqual([
    ['signoff', 'signoff', MICROSOFT],
    ['approve', 'approve', 'alice@example.com'],
    ['approve', 'approve', 'bob@example.com'],
    ['clients-stopped', 'approve', 'alice@example.com'],
  ]);
  // the acknowledgement names the clients the unit has registered, as client list read them
  const clients = stuck.steps.find((s) => s.id === 'registered-clients')?.evidence;
  expect(clients).toMatchObject({ outcome: 'checked', probe: { clients: expect.arrayContaining(['app01']) } });
  const asked = await h.waitForOutbox(
    (m) => m.ceremonyId === id && m.kind === 'approval-requested' && m.gate === 'clients-stopped',
  );
  expect(asked.body).toContain(
    `stop the traffic of the clients registered on hsm-sim-1 (client list): ${(clients!.probe.clients as string[]).join(', ')}; or take hsm-sim-1 out of its HA group`,
  );
  const support = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'support-request');
  expect(support).toMatchObject({
    to: [SUPPORT],
    subject: expect.stringContaining('Physical reboot needed: hsm-sim-1 did not come back'),
  });
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([
    [ceremonyBackupLabel('hsm-sim-1', 'payments', `${id}-backup-1`), 12],
  ]);

  // the copy was cut after 20000 bytes; the retry found the short file and sent it again whole
  const copies = sim.appliance.state.read().audit.filter((a) => a.command.startsWith(`(scp -t .: ${file}`));
  expect(copies.map((a) => a.command)).toEqual([
    `(scp -t .: ${file}, 20000 bytes, cut short)`,
    `(scp -t .: ${file}, ${content.length} bytes)`,
  ]);
  expect(stuck.steps.find((s) => s.id === 'upload')?.evidence).toMatchObject({
    outcome: 'applied',
    probe: { onAppliance: expect.arrayContaining([{ file, size: 20_000 }]) },
  });
  expect(stuck.steps.find((s) => s.id === 'verify-package')?.evidence).toMatchObject({
    outcome: 'checked',
    probe: { verified: true, size: content.length },
  });
  // the software waits for the reboot, the firmware is only staged: nothing converted yet
  expect(sim.appliance.state.read()).toMatchObject({
    firmware: '7.0.3',
    softwareVersion: '7.4.0-226',
    pendingSoftware: '7.8.4-20',
    upgradeFirmware: '7.8.4',
    reboot: { until: null },
  });
  expect(stuck.steps.find((s) => s.id === 'firmware')?.status).toBe('pending');

  finishReboot(sim.appliance.state); // the data-centre technician's physical reboot
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'Microsoft confirmed the physical reboot' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'reboot')?.evidence).toMatchObject({
    outcome: 'already-present',
    verify: { software: '7.8.4-20' },
  });
  expect(final.steps.find((s) => s.id === 'firmware')?.evidence).toMatchObject({
    outcome: 'applied',
    probe: { current: '7.0.3', upgrade: '7.8.4' },
  });
  expect(final.steps.find((s) => s.id === 'hsm-restarted')?.evidence?.verify).toMatchObject({ firmware: '7.8.4' });
  // the restarting HSM's refusals were waited through, not sent to anyone as a failure
  expect(sim.appliance.state.read().audit.some((a) => /^hsm (firmware )?show/.test(a.command) && a.result !== 0)).toBe(
    true,
  );
  expect(final.steps.find((s) => s.id === 'verify')?.evidence).toMatchObject({
    outcome: 'checked',
    probe: { firmware: '7.8.4', software: '7.8.4-20' },
  });
  expect(sim.appliance.state.read()).toMatchObject({
    firmware: '7.8.4',
    rollbackFirmware: '7.0.3',
    softwareVersion: '7.8.4-20',
    pendingSoftware: null,
  });

  // the device's own log, in the vendor's order: SO login, listfile, verify, update, reboot, then the firmware
  const audit = sim.appliance.state
    .read()
    .audit.filter((a) => a.result === 0)
    .map((a) => a.command);
  const at = (command: string) => audit.findIndex((c) => c.startsWith(command));
  const order = [
    'package listfile',
    'package verify',
    'package update',
    'sysconf appliance reboot',
    'hsm firmware upgrade',
  ].map(at);
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(audit.slice(0, at('package verify')).filter((c) => c === 'hsm login').length).toBeGreaterThan(0);
  const ran = (command: string) => audit.filter((c) => c.startsWith(command)).length;
  expect([ran('package update'), ran('hsm firmware upgrade'), ran('sysconf appliance reboot')]).toEqual([1, 1, 1]);
  const child = await h.ceremonies.status(`${id}-backup-1`);
  expect(child).toMatchObject({ kind: 'backup', phase: 'completed' });
  await env.expectNoSecretsInHistory(id);
});

test('firmware-upgrade on an HSM already on the target firmware and software has nothing to do, and says so', async () => {
  const { h } = env;
  const id = await env.start('firmware-upgrade', params, 'jira:FW-again');
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps[0].evidence).toMatchObject({
    outcome: 'present',
    probe: { firmware: '7.8.4', software: '7.8.4-20', targetFirmware: '7.8.4', targetSoftware: '7.8.4' },
  });
  expect(final.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
  expect((await h.ceremonies.timeline(id)).some((e) => e.type === 'nothing-to-do')).toBe(true);
  await waitForStatus(h.ceremonies, id, (s) => s.decisions.length === 0);
});

test('a firmware-only package (7.7.1-20) on the appliance software it needs: package update stages the firmware, no reboot is needed or sent, hsm firmware upgrade applies it', async () => {
  const { sim, h } = env;
  const fwFile = 'lunafw_update-7.7.1-20.spkg';
  const fwContent = Buffer.from('Thales signed firmware package 7.7.1-20\n'.repeat(300));
  writeFileSync(join(sim.dir, 'packages', fwFile), fwContent);
  sim.appliance.faults.write({});
  sim.appliance.state.update((s) =>
    Object.assign(s, {
      firmware: '7.4.2',
      rollbackFirmware: null,
      upgradeFirmware: null,
      softwareVersion: '7.7.1-10',
      pendingSoftware: null,
      audit: [],
    }),
  );
  const id = await env.start(
    'firmware-upgrade',
    { ...params, file: fwFile, sha256: createHash('sha256').update(fwContent).digest('hex'), targetFirmware: '7.7.1' },
    'jira:FW-fw-only',
  );
  const final = await driveGates(h.ceremonies, id, { timeoutMs: 90_000 });
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'reboot')?.evidence).toMatchObject({
    outcome: 'already-present',
    probe: { software: '7.7.1-10' },
  });
  expect(final.steps.find((s) => s.id === 'verify')?.evidence).toMatchObject({
    outcome: 'checked',
    probe: { firmware: '7.7.1', software: '7.7.1-10' },
  });
  const audit = sim.appliance.state
    .read()
    .audit.filter((a) => a.result === 0)
    .map((a) => a.command);
  expect(
    audit
      .filter((c) => /^(package update|sysconf appliance reboot|hsm firmware upgrade)/.test(c))
      .map((c) => c.split(' -')[0]),
  ).toEqual([`package update ${fwFile}`, 'hsm firmware upgrade']);
  expect(sim.appliance.state.read()).toMatchObject({
    firmware: '7.7.1',
    rollbackFirmware: '7.4.2',
    softwareVersion: '7.7.1-10',
    pendingSoftware: null,
  });
});

test('the simulator enforces the documented order: package verify needs the HSM SO unless -useevp; hsm firmware upgrade before the reboot that runs the new software is refused', async () => {
  const { sim } = env;
  sim.appliance.state.update((s) => {
    s.softwareVersion = '7.4.0-226';
    s.pendingSoftware = '7.8.4-20';
    s.firmware = '7.0.3';
    s.upgradeFirmware = '7.8.4';
    s.files[file] = { sha256: params.sha256, size: content.length, complete: true };
  });
  const shell = await LunaShell.open(
    { host: '127.0.0.1', port: sim.appliance.port, hostKeyFingerprint: sim.appliance.fingerprint },
    'tenantadmin',
    { password: SECRETS.TEST_TENANTADMIN_PASSWORD },
  );
  try {
    const unverified = await shell.run(`package verify ${file} -authcode ${params.authCode}`, { allowError: true });
    expect(unverified.code).not.toBe(0);
    expect(
      (await shell.run(`package verify ${file} -authcode ${params.authCode} -useevp`, { allowError: true })).code,
    ).toBe(0);
    await shell.run('hsm login', {
      answers: [{ prompt: /password:[\s>]*$/i, reply: SECRETS.TEST_HSM_SO_PASSWORD }],
      secrets: [SECRETS.TEST_HSM_SO_PASSWORD],
    });
    expect((await shell.run(`package verify ${file} -authcode ${params.authCode}`, { allowError: true })).code).toBe(0);
    const early = await shell.run('hsm firmware upgrade', {
      allowError: true,
      answers: [{ prompt: /> $/, reply: 'proceed' }],
    });
    expect(early.code).not.toBe(0);
    expect(early.output).toMatch(/reboot the appliance/);
  } finally {
    shell.close();
  }
  expect(sim.appliance.state.read()).toMatchObject({ firmware: '7.0.3', upgradeFirmware: '7.8.4' });
});
