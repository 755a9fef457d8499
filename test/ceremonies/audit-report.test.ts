import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ceremonyBackupLabel } from '../../activities/ops/backup';
import type { OperationEvidence } from '../../activities/types';
import { exportCeremony } from '../../audit/tooling/export';
import { auditEvents, parseHistoryJson, type AuditEvent } from '../../audit/verifier/history';
import { reportHtml, reportMarkdown } from '../../audit/verifier/report';
import { verifyHistories } from '../../audit/tooling/verify';
import { escapeHtml } from '../../runtime/html';
import { loadConfig } from '../../runtime/config';
import { startAzureArm, type AzureArm } from '../../simulator/azure-arm';
import { driveGates } from '../support/drive';
import { startCeremonyEnv, type CeremonyEnv } from '../support/ceremony-env';
import { AZURE_RESOURCE_ID, CLIENT_CERTIFICATES, SECRETS } from '../support/simulated-hsm';

// The report of each of the five ceremonies, run one after the other on one simulated appliance
// (init, a partition, its backup, a firmware upgrade, the zeroize and deprovision): every step
// shows what it found and left, every device command its whole output, the Azure DELETE its
// answer; and the HTML prints a page per section with every output open.

const OBJECTS = 4_321; // the simulated LunaCM prints a line per object backed up
const pkg = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(200));

let env: CeremonyEnv;
let arm: AzureArm;
let dir: string;
const reports: Record<string, { md: string; html: string; id: string; events: AuditEvent[] }> = {};

beforeAll(async () => {
  arm = await startAzureArm([AZURE_RESOURCE_ID]);
  env = await startCeremonyEnv('report', {}, arm.env);
  dir = mkdtempSync(join(tmpdir(), 'report-'));
  mkdirSync(join(env.sim.dir, 'packages'), { recursive: true });
  writeFileSync(join(env.sim.dir, 'packages', pkg), content);
});
afterAll(async () => {
  await env?.close();
  await arm?.close();
});

/** Run a ceremony to its end, export it, verify it (from the history) and report it both ways. */
async function runAndReport(kind: Parameters<CeremonyEnv['start']>[0], params: Record<string, string>) {
  const id = await env.start(kind, params);
  expect((await driveGates(env.h.ceremonies, id, { timeoutMs: 90_000 })).phase).toBe('completed');
  await env.h.ceremonies.handle(id).result();
  const file = join(dir, `${id}.json`);
  await exportCeremony(env.h.ceremonies, id, file, { server: 'test' });
  const events = await auditEvents(parseHistoryJson(JSON.parse(readFileSync(file, 'utf8'))));
  const [verdict] = await verifyHistories([file], { replay: 'none' });
  expect(verdict).toMatchObject({ ok: true });
  const report = { id, events, md: reportMarkdown(events, verdict), html: reportHtml(events, verdict) };
  expect(Object.values(SECRETS).filter((secret) => (report.md + report.html).includes(secret))).toEqual([]);
  expectEveryStepExplained(report);
  reports[kind] = report;
  return report;
}

/** Every operation that completed has its before/after line, and each of its commands' whole
 * output, in both reports (failures list what is missing: a diff of two whole reports is no help). */
function expectEveryStepExplained(report: { md: string; html: string; events: AuditEvent[] }) {
  const results = report.events
    .filter((e) => e.activityResult && (e.activityResult.result as OperationEvidence | undefined)?.probe)
    .map((e) => e.activityResult!.result as OperationEvidence);
  expect(results.length).toBeGreaterThan(2);
  const missing: string[] = [];
  for (const t of results.flatMap((r) => r.transcript ?? [])) {
    if (!report.html.includes(`<pre class="output">${escapeHtml(t.output)}</pre>`))
      missing.push(`html: output of ${t.command}`);
    if (!t.output.split('\n').every((line) => report.md.includes(line))) missing.push(`md: output of ${t.command}`);
  }
  expect(missing).toEqual([]);
  const sections = report.md.split('\n### ').slice(1);
  const opSteps = sections.filter((s) => /\*\*Result:\*\* (applied|already in place|check holds|condition)/.test(s));
  expect(opSteps.length).toBe(results.length);
  expect(opSteps.filter((s) => !s.includes('- **Before → after:** ')).map((s) => s.split('\n')[0])).toEqual([]);
}

/** A report holds the text (a failure names what is missing, not the whole report). */
function expectIn(report: string, wanted: string | RegExp) {
  expect({ wanted, found: typeof wanted === 'string' ? report.includes(wanted) : wanted.test(report) }).toEqual({
    wanted,
    found: true,
  });
}

/** The step's before/after line, in the Markdown and (escaped) in the HTML. */
function expectState(kind: string, line: string) {
  const { md, html } = reports[kind];
  const lines = md.split('\n').filter((l) => l.startsWith('- **Before → after:** '));
  expect({ line, found: lines.some((l) => l.includes(line)) ? 'yes' : lines }).toEqual({ line, found: 'yes' });
  expect(html.includes(escapeHtml(line))).toBe(true);
}

test('hsm-init: the first login, the clock, the init, the destructive policy, syslog and the verification, each with what it found and left', async () => {
  await runAndReport('hsm-init', { label: 'HSM1', syslogHost: '10.0.0.9', policies: '15=1' });
  expectState('hsm-init', 'zeroized: yes → no');
  expectState('hsm-init', 'label: (none) → HSM1');
  expectState('hsm-init', 'policy 15 (SO can reset partition PIN): 0 → 1');
  expectState('hsm-init', 'syslog hosts: none → 10.0.0.9:514/udp');
  expectState('hsm-init', "tenantadmin's new password accepted: no → yes");
  expectState('hsm-init', 'holds: label: HSM1; zeroized: no');
  // how each decision was made, its signature and the plan it names
  expectIn(
    reports['hsm-init'].md,
    /\| approve \| alice@example.com \| approve \| own key \(CLI\) \| \S+ \| valid \| this plan \([0-9a-f]{12}…\) \|/,
  );
  // the appliance (after Thales' hsm init) has the audit user the later ceremonies read the log with
  env.sim.appliance.state.update(
    (s) =>
      void (s.users.audit = {
        role: 'audit',
        password: SECRETS.TEST_AUDIT_PASSWORD,
        mustChangePassword: false,
        enabled: true,
      }),
  );
});

test('partition-create: the licence, the partition, the client registration and assignment, with their states', async () => {
  await runAndReport('partition-create', { partition: 'payments', client: 'app01', clientHost: 'app01.example.com' });
  expectState('partition-create', 'partitions: none → payments (0 objects)');
  expectState('partition-create', 'client app01 registered: no → yes');
  expectState('partition-create', 'client app01 partitions: none → payments');
  expectState('partition-create', 'holds: partitions: 0 of 10 licensed, adding 1');
  // the application fills the partition
  env.sim.appliance.state.update((s) => void (s.partitions[0].objects = OBJECTS));
});

test("backup: the partition's object count, the backup's label and count, verified; the workstation's assignment taken back", async () => {
  const { id } = await runAndReport('backup', { partitions: 'payments' });
  const label = ceremonyBackupLabel('hsm-sim-1', 'payments', id);
  expectState('backup', `partition payments: 4,321 objects; backup: none → ${label}, 4,321 objects (complete)`);
  expectState('backup', `holds: partition payments: 4,321 objects; backup: ${label}, 4,321 objects; verified: yes`);
  expectState('backup', 'client backup-ws assigned partition payments: yes → no');
});

test('firmware-upgrade: the package on the appliance, staged, the reboot onto the new software, the firmware upgraded on it; the child backup named', async () => {
  env.sim.appliance.faults.write({ rebootMs: 200 });
  const params = {
    file: pkg,
    sha256: createHash('sha256').update(content).digest('hex'),
    authCode: 'Rd79MAGdG9EY5',
    targetFirmware: '7.8.4',
    partitions: 'payments',
    rebootWaitSeconds: '5',
  };
  const { id, md } = await runAndReport('firmware-upgrade', params);
  // the client certificates copied before: app01's (partition-create) and the backup workstation's (backup)
  const size = (path: string) => statSync(path).size.toLocaleString('en-US');
  const cert = `app01.example.com.pem (${size(CLIENT_CERTIFICATES.app01)} bytes), 127.0.0.1.pem (${size(CLIENT_CERTIFICATES['backup-ws'])} bytes)`;
  expectState(
    'firmware-upgrade',
    `on the appliance: ${cert} → ${cert}, ${pkg} (${content.length.toLocaleString('en-US')} bytes)`,
  );
  expectState('firmware-upgrade', 'holds: package lunahsm_update-7.8.4-20.spkg: verifies');
  expectState('firmware-upgrade', 'running firmware: 7.0.3; staged firmware: (none) → 7.8.4');
  // the reboot runs the new appliance software first, then the firmware is upgraded on it
  expectState('firmware-upgrade', 'firmware: 7.0.3; appliance software: 7.4.0-226 → 7.8.4-20');
  expectState(
    'firmware-upgrade',
    'running firmware: 7.0.3 → 7.8.4; staged firmware: 7.8.4 → (none); rollback firmware: (none) → 7.0.3',
  );
  expectIn(md, `- **Result:** child ceremony ${id}-backup-1: completed (its own history has its report)`);
});

test('zeroize-deprovision: the logs kept, zeroized: no → yes, and the Azure DELETE with the resource, its answer and the final state', async () => {
  const { md, html } = await runAndReport('zeroize-deprovision', {});
  expectState('zeroize-deprovision', 'zeroized: no → yes; partitions: 1 → 0');
  expectState('zeroize-deprovision', 'holds: label: (none); zeroized: yes');
  expectState(
    'zeroize-deprovision',
    `Azure resource: ${AZURE_RESOURCE_ID}; provisioning state: Succeeded (ARM GET 200) → deleted (ARM GET 404)`,
  );
  expectIn(md, `  - DELETE ${AZURE_RESOURCE_ID} → 202`);
  expectIn(
    md,
    / {2}- GET \/providers\/Microsoft.HardwareSecurityModules\/locations\/westeurope\/operationStatuses\/\w+ → 200 \(operation Succeeded\)/,
  );
  expectIn(html, `<li><code>DELETE ${escapeHtml(AZURE_RESOURCE_ID)} → 202</code></li>`);
  expectIn(md, /messages: \d+ lines, sha256 [0-9a-f]{16}…/);
});

test('the HTML prints a page per section, with every command output open', async () => {
  const browser = await chromium.launch({
    executablePath: loadConfig().CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setContent(reports['zeroize-deprovision'].html);
    const output = page.locator('details pre.output').first();
    expect(await output.isVisible()).toBe(false); // collapsed on screen
    await page.emulateMedia({ media: 'print' });
    expect(await output.isVisible()).toBe(true);
    const breaks = await page
      .locator('section.report-section')
      .evaluateAll((sections) =>
        sections.map(
          (s) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { breakBefore: string } }).getComputedStyle(s)
              .breakBefore,
        ),
      );
    expect(breaks).toEqual(['auto', 'page', 'page', 'page']);
    expect((await page.pdf()).length).toBeGreaterThan(10_000);
  } finally {
    await browser.close();
  }
});
