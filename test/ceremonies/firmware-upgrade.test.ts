import { createHash } from 'node:crypto';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatStatus } from '../../cli/format';
import { finishReboot } from '../../simulator/appliance-server';
import { result, waitForStatus } from '../support/harness';
import { driveGates } from '../support/drive';
import { OPERATOR, startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { initialiseDirectly, MICROSOFT, SUPPORT } from '../support/simulated-hsm';

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
  const refusedAt = async (precheck: string, reason: RegExp) => {
    const id = await env.start('firmware-upgrade', params, `jira:FW-${precheck}`);
    const final = await result(h.ceremonies, id);
    expect(final).toMatchObject({ phase: 'refused', refusedBy: precheck, decisions: [] });
    expect(final.openGate).toBeUndefined();
    expect(final.refusal).toMatch(reason);
    expect(final.steps.find((s) => s.id === precheck)).toMatchObject({ status: 'failed' });
    expect(final.steps.filter((s) => s.status === 'skipped').map((s) => s.id)).toEqual(final.steps.slice(final.steps.findIndex((s) => s.id === precheck) + 1).map((s) => s.id));
    const timeline = await h.ceremonies.timeline(id);
    expect(timeline.find((e) => e.type === 'precheck-refused')).toMatchObject({ step: precheck, actor: 'worker', detail: final.refusal });
    expect(formatStatus(final)).toContain(`refused by the precheck "${precheck}" before any gate (nothing was asked or changed): ${final.refusal}`);
    const outcome = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'outcome');
    expect(outcome.body).toContain(`Refused by the precheck "${precheck}", before any gate: ${final.refusal}`);
    expect(h.outbox().filter((m) => m.ceremonyId === id && /requested/.test(m.kind))).toEqual([]);
    await env.expectNoSecretsInHistory(id); // and the exported history verifies
  };

  sim.appliance.state.update((s) => void (s.packages = []));
  await refusedAt('upgrade-path', /^CheckFailed: firmware.upgradePath: lunasa-reboot-patch is not installed: the Luna Network HSM 7 Reboot Patch must be installed/);
  sim.appliance.state.update((s) => {
    s.packages = ['lunasa-reboot-patch-3'];
    s.routes.push({ destination: '0.0.0.0', gateway: '10.0.3.1', genmask: '0.0.0.0', flags: 'UG', iface: 'eth1' });
  });
  await refusedAt('default-route', /^CheckFailed: appliance.singleDefaultRoute: the appliance has 2 default routes \(via 10.0.2.1 on eth0, via 10.0.3.1 on eth1\)/);
  sim.appliance.state.update((s) => void s.routes.pop());

  const untouched = sim.appliance.state.read();
  expect(untouched).toMatchObject({ firmware: '7.0.3', files: {}, pendingSoftware: null, upgradeFirmware: null });
  expect(untouched.audit.filter((a) => !/^(hsm show|package list|network route show)$/.test(a.command))).toEqual([]);
});

test('firmware-upgrade: sign-off, quorum, fresh backup (child ceremony), an scp copy cut short and sent again whole, package verify, package update, hsm firmware upgrade; a hung reboot raises a support request and waits for the physical reboot', async () => {
  const { sim, h } = env;
  sim.appliance.faults.write({ rebootHangs: true, rebootMs: 200, interruptUpload: [{ match: file, afterBytes: 20_000, times: 1 }] });
  const id = await env.start('firmware-upgrade', params);

  const stuck = await driveGates(h.ceremonies, id, { signoffReference: 'Microsoft case 2611290010001234', timeoutMs: 90_000 });
  expect(stuck.phase).toBe('needs-intervention');
  expect(stuck.currentStep).toBe('reboot');
  expect(stuck.steps.find((s) => s.id === 'reboot')?.error).toMatch(/^RebootHung: appliance.reboot on hsm-sim-1: hsm-sim-1 did not come back within 2 s of the reboot/);
  expect(stuck.decisions.map((d) => [d.gate, d.decision, d.actor])).toEqual([
    ['signoff', 'signoff', MICROSOFT],
    ['approve', 'approve', 'alice@example.com'],
    ['approve', 'approve', 'bob@example.com'],
  ]);
  const support = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'support-request');
  expect(support).toMatchObject({ to: [SUPPORT], subject: expect.stringContaining('Physical reboot needed: hsm-sim-1 did not come back') });
  expect(sim.backup.state.read().backups.map((b) => [b.label, b.objects])).toEqual([[ceremonyBackupLabel('hsm-sim-1', 'payments', `${id}-backup-1`), 12]]);

  // the copy was cut after 20000 bytes; the retry found the short file and sent it again whole
  const copies = sim.appliance.state.read().audit.filter((a) => a.command.startsWith(`(scp -t .: ${file}`));
  expect(copies.map((a) => a.command)).toEqual([`(scp -t .: ${file}, 20000 bytes, cut short)`, `(scp -t .: ${file}, ${content.length} bytes)`]);
  expect(stuck.steps.find((s) => s.id === 'upload')?.evidence).toMatchObject({ outcome: 'applied', probe: { onAppliance: expect.arrayContaining([{ file, size: 20_000 }]) } });
  expect(stuck.steps.find((s) => s.id === 'verify-package')?.evidence).toMatchObject({ outcome: 'checked', probe: { verified: true, size: content.length } });
  // staged and applied as documented: the firmware is upgraded, the software waits for the reboot
  expect(sim.appliance.state.read()).toMatchObject({ firmware: '7.8.4', rollbackFirmware: '7.0.3', pendingSoftware: '7.8.4-20', reboot: { until: null } });

  finishReboot(sim.appliance.state); // the data-centre technician's physical reboot
  await h.ceremonies.resolve(id, { action: 'retry', by: OPERATOR, reason: 'Microsoft confirmed the physical reboot' });
  const final = await result(h.ceremonies, id);
  expect(final.phase).toBe('completed');
  expect(final.steps.find((s) => s.id === 'reboot')?.evidence?.outcome).toBe('already-present');
  expect(final.steps.find((s) => s.id === 'verify')?.evidence).toMatchObject({ outcome: 'checked', probe: { firmware: '7.8.4', software: '7.8.4-20' } });
  expect(sim.appliance.state.read()).toMatchObject({ firmware: '7.8.4', softwareVersion: '7.8.4-20', pendingSoftware: null });
  const ran = (command: string) => sim.appliance.state.read().audit.filter((a) => a.command.startsWith(command) && a.result === 0).length;
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
  expect(final.steps[0].evidence).toMatchObject({ outcome: 'present', probe: { firmware: '7.8.4', software: '7.8.4-20', targetFirmware: '7.8.4', targetSoftware: '7.8.4' } });
  expect(final.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
  expect((await h.ceremonies.timeline(id)).some((e) => e.type === 'nothing-to-do')).toBe(true);
  await waitForStatus(h.ceremonies, id, (s) => s.decisions.length === 0);
});
