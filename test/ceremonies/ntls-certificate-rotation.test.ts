import { X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import { loadInventory } from '../../ceremonies/inventory';
import { serveMetrics } from '../../runtime/metrics-server';
import { NtlsExpiryMetrics } from '../../worker/ntls-expiry-metrics';
import { cli } from '../support/cli';
import { deviceOps } from '../support/device-ops';
import { driveGates } from '../support/drive';
import { startCeremonyEnv, REQUESTER, type CeremonyEnv } from '../support/ceremony-env';
import { exportedHistoryText } from '../support/history';
import { APP01_OWNER, initialiseDirectly } from '../support/simulated-hsm';

let env: CeremonyEnv;
let metricsServer: Server | undefined;
beforeAll(async () => {
  env = await startCeremonyEnv('ntls');
  initialiseDirectly(env.sim);
  env.sim.appliance.state.update((s) => {
    // app01 has an owner in the inventory; legacy01 was registered by hand and has none
    s.clients = [
      { name: 'app01', host: 'app01.example.com', partitions: ['payments'] },
      { name: 'legacy01', host: 'legacy01.example.com', partitions: [] },
    ];
    // the certificate regenCert makes expires in 10 days: inside the expiry warning's window
    s.serverCertificateDays = 10;
  });
});
afterAll(async () => {
  metricsServer?.close();
  await env?.close();
});

const regenerations = () =>
  env.sim.appliance.state.read().audit.filter((a) => a.command === 'sysconf regenCert').length;
const servedFingerprint = () => new X509Certificate(env.sim.appliance.state.read().serverCertificate!).fingerprint256;

test("ntls-certificate-rotation: baseline read, gate, regenCert + bind + restart, the new fingerprint in the evidence and in the client owners' notices; a re-run rotates nothing; the expiry check and gauge warn of the new certificate", async () => {
  const { sim, h } = env;
  const ticket = `jira:NTLS-${Date.now().toString(36)}`;
  const id = await env.start('ntls-certificate-rotation', {}, ticket);
  const final = await driveGates(h.ceremonies, id, {
    signoffReference: 'app01 trusts the new certificate (vtl verify)',
  });
  expect(final.phase).toBe('completed');
  expect(final.steps.map((s) => s.id)).toEqual(['baseline', 'approve', 'rotate', 'clients-trust']);

  const baseline = final.steps[0].evidence!;
  const rotate = final.steps.find((s) => s.id === 'rotate')!.evidence!;
  const before = String(baseline.verify.fingerprintSha256);
  const after = String(rotate.verify.fingerprintSha256);
  expect(baseline.verify.clients).toEqual([
    { client: 'app01', owners: [APP01_OWNER] },
    { client: 'legacy01', owners: [] },
  ]);
  expect(after).not.toBe(before);
  expect(after).toBe(servedFingerprint());
  expect(String(rotate.verify.pem)).toBe(sim.appliance.state.read().serverCertificate?.trim());
  expect(rotate).toMatchObject({
    outcome: 'applied',
    commands: ['sysconf regenCert', 'ntls bind eth0', 'service restart ntls'],
    verify: { previousFingerprintSha256: before, rotated: true },
  });
  expect(sim.appliance.state.read().ntls.serving?.certificate).toBe(sim.appliance.state.read().serverCertificate);
  expect(regenerations()).toBe(1);

  // the owners' notice: the sign-off mail to app01's owner and the ticket comment carry the new
  // fingerprint and the commands; the client without an owner is named for the operators
  const mail = await h.waitForOutbox((m) => m.ceremonyId === id && m.kind === 'signoff-requested');
  expect(mail.to).toEqual([APP01_OWNER]);
  const history = await exportedHistoryText(h.ceremonies, id);
  expect(history).toContain('next-steps:rotate');
  for (const text of [mail.body, history]) {
    expect(text).toContain(`SHA-256 fingerprint ${after} (was ${before})`);
    expect(text).toContain(
      `  openssl x509 -in hsm-sim-1-server.pem -noout -fingerprint -sha256   # must print ${after}`,
    );
    expect(text).toContain('  vtl deleteServer -n 127.0.0.1');
    expect(text).toContain('  vtl addServer -n 127.0.0.1 -c hsm-sim-1-server.pem');
    expect(text).toContain(`Client app01 (owner: ${APP01_OWNER})`);
    expect(text).toContain(
      'Client legacy01 (owner: none in the inventory (clientCertificates.legacy01.owners): the operators forward this)',
    );
  }
  await env.expectNoSecretsInHistory(id);

  // the same ticket again: refused (a ticket starts one ceremony), nothing rotates
  await expect(
    h.ceremonies.start(
      { kind: 'ntls-certificate-rotation', hsm: 'hsm-sim-1', ticket, requester: REQUESTER, params: {} },
      loadInventory(sim.inventoryPath),
    ),
  ).rejects.toThrow(`ticket ${ticket} already ran ceremony ${id} (completed); a ticket starts one ceremony only`);
  // the rotation step again after a worker was lost mid-step (its heartbeat says it was about to
  // act): server.pem already differs from the baseline, so it binds and restarts, never
  // regenerates a second time
  const rerun = await deviceOps(sim)(
    'ntls.rotateCertificate',
    { device: 'eth0', baseline: 'baseline' },
    { earlierState: { baseline: baseline.verify }, heartbeatDetails: { actAt: Date.now() - 1000 } },
  );
  expect(rerun).toMatchObject({
    outcome: 'applied',
    commands: ['ntls bind eth0', 'service restart ntls'],
    verify: { fingerprintSha256: after, rotated: true },
  });
  expect(regenerations()).toBe(1);
  expect(servedFingerprint()).toBe(after);

  // the expiry check: the new certificate lives 10 days, inside a 30-day window
  const checked = await cli(
    '--inventory',
    sim.inventoryPath,
    'hsm',
    'cert-expiry',
    '--hsm',
    'hsm-sim-1',
    '--warn-days',
    '30',
  );
  expect(checked.code).toBe(1);
  expect(checked.out).toMatch(
    new RegExp(
      `^hsm-sim-1: NTLS server certificate valid until \\S+ \\(SHA-256 ${after}\\): EXPIRES IN (9|10) DAYS \\(warning window 30 days\\)`,
    ),
  );
  expect((await cli('--inventory', sim.inventoryPath, 'hsm', 'cert-expiry', '--warn-days', '5')).code).toBe(0);
  const refused = await cli('--inventory', sim.inventoryPath, 'hsm', 'cert-expiry', '--hsm', 'nosuch');
  expect(refused).toMatchObject({ code: 1, out: '' });
  expect(refused.err).toContain('refused: --hsm: unknown HSM "nosuch"');

  // …and the worker's gauge
  const metrics = new NtlsExpiryMetrics(() => loadInventory(sim.inventoryPath), { env: process.env });
  const served = await serveMetrics(metrics, '127.0.0.1:0');
  metricsServer = served.server;
  const text = await (await fetch(served.url)).text();
  const seconds = Number(/^hsm_ntls_certificate_expiry_seconds\{hsm="hsm-sim-1"\} (\S+)$/m.exec(text)?.[1]);
  expect(seconds).toBeGreaterThan(9 * 86_400);
  expect(seconds).toBeLessThanOrEqual(10 * 86_400);
  expect(text).toMatch(/^hsm_ntls_certificate_readable\{hsm="hsm-sim-1"\} 1$/m);
});
