// HA-aware maintenance on the simulator (docs/ha-maintenance.md): two appliances whose partitions
// are one HA group. A firmware upgrade on one waits at its first gate; an upgrade of the other is
// refused by the client, and, started straight at the Temporal frontend, by the worker's precheck
// before any gate, with nothing changed. The owners' acknowledgement gate names the LunaCM commands.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { buildPlan } from '../../ceremonies/build-plan';
import { loadInventory } from '../../ceremonies/inventory';
import { ceremonyIdForTicket } from '../../ceremonies/identifiers';
import { CeremonyRefusal } from '../../client/ceremony-client';
import { ceremonySearchAttributes } from '../../contract/search-attributes';
import { result, startHarness, waitForStatus, type Harness } from '../support/harness';
import { OPERATOR, REQUESTER } from '../support/ceremony-env';
import { initialiseDirectly, SECRETS, startSimulatedHsm, type SimulatedHsm } from '../support/simulated-hsm';

const OWNER = 'carol@example.com';
const file = 'lunahsm_update-7.8.4-20.spkg';
const content = Buffer.from('Thales signed update package 7.8.4\n'.repeat(200));
const params = {
  file,
  sha256: createHash('sha256').update(content).digest('hex'),
  authCode: 'Rd79MAGdG9EY5',
  targetFirmware: '7.8.4',
  partitions: 'payments',
};

let sim1: SimulatedHsm;
let sim2: SimulatedHsm;
let h: Harness;
let inventoryPath: string;
beforeAll(async () => {
  sim1 = await startSimulatedHsm('hsm-sim-1');
  sim2 = await startSimulatedHsm('hsm-sim-2');
  for (const sim of [sim1, sim2]) initialiseDirectly(sim, [{ name: 'payments', objects: 12 }]);
  // one inventory for both appliances (the first's backup device), their partitions one HA group
  const inventory = parse(readFileSync(sim1.inventoryPath, 'utf8'));
  inventory.hsms['hsm-sim-2'] = {
    ...parse(readFileSync(sim2.inventoryPath, 'utf8')).hsms['hsm-sim-2'],
    backupDevice: 'onprem-backup',
  };
  inventory.haGroups = { 'payments-ha': { members: ['hsm-sim-1', 'hsm-sim-2'], owners: [OWNER] } };
  inventoryPath = join(sim1.dir, 'ha-inventory.yaml');
  writeFileSync(inventoryPath, stringify(inventory));
  mkdirSync(join(sim1.dir, 'packages'), { recursive: true });
  writeFileSync(join(sim1.dir, 'packages', file), content);
  Object.assign(process.env, SECRETS);
  h = await startHarness('ha-maintenance', {
    inventoryPath,
    catalogueOnly: true,
    config: { CEREMONY_PACKAGES_DIR: join(sim1.dir, 'packages') },
  });
});
afterAll(async () => {
  await h?.stop();
  await sim1?.close();
  await sim2?.close();
});

const request = (hsm: string, ticket: string) => ({
  kind: 'firmware-upgrade' as const,
  hsm,
  ticket,
  requester: REQUESTER,
  params,
});

test("never two members of one HA group at once: the second upgrade is refused by the client and, started straight at Temporal, by the worker before any gate; the owners' gate names the LunaCM commands", async () => {
  const first = await h.ceremonies.start(request('hsm-sim-1', 'jira:HA-1'), loadInventory(inventoryPath));
  const waiting = await waitForStatus(h.ceremonies, first.ceremonyId, (s) => s.openGate?.id === 'signoff', 60_000);
  expect(waiting.steps.find((s) => s.id === 'ha-exclusive')).toMatchObject({ status: 'succeeded' });

  // the owners' acknowledgements, from the worker's inventory: out before the install, back in after the verify
  const { plan } = await h.ceremonies.plan(first.ceremonyId);
  const ids = plan.steps.map((s) => s.id);
  expect(ids.slice(0, 2)).toEqual(['ha-exclusive', 'on-target']);
  expect(ids.indexOf('ha-leave')).toBeLessThan(ids.indexOf('install'));
  expect(ids.at(-1)).toBe('ha-rejoin');
  expect(plan.steps.find((s) => s.id === 'ha-leave')).toMatchObject({
    type: 'approval',
    group: 'payments-ha',
    approvers: [OWNER],
    quorum: 1,
  });
  expect(plan.steps.find((s) => s.id === 'ha-leave')?.title).toContain(
    'hagroup removemember -group payments-ha -serialnumber',
  );
  expect(plan.steps.find((s) => s.id === 'ha-rejoin')?.title).toContain(
    'hagroup addmember -group payments-ha -serialnumber',
  );
  // every gate's mail from here on carries the owners' commands in full
  const asked = await h.waitForOutbox((m) => m.ceremonyId === first.ceremonyId && m.kind === 'signoff-requested');
  expect(asked.body).toContain(
    'take hsm-sim-1 out of HA group payments-ha: in LunaCM on a client host of the group, `hagroup listgroups`',
  );
  expect(asked.body).toContain('`hagroup removemember -group payments-ha -serialnumber');
  expect(asked.body).toContain(
    'put hsm-sim-1 back into HA group payments-ha: `hagroup addmember -group payments-ha -serialnumber',
  );

  // through the client: refused, naming the open ceremony; nothing is started
  const refused = h.ceremonies.start(request('hsm-sim-2', 'jira:HA-2'), loadInventory(inventoryPath));
  await expect(refused).rejects.toBeInstanceOf(CeremonyRefusal);
  await expect(refused).rejects.toThrow(
    `hsm-sim-2 is a member of HA group payments-ha, and another maintenance ceremony is open on a member of it: firmware-upgrade ${first.ceremonyId} on hsm-sim-1`,
  );
  await expect(h.ceremonies.status(ceremonyIdForTicket('jira:HA-2'))).rejects.toThrow(/no ceremony/);

  // straight at the Temporal frontend, with the catalogue's own plan: the worker's precheck refuses it
  const before = sim2.appliance.state.read();
  const direct = buildPlan(request('hsm-sim-2', 'jira:HA-3'), loadInventory(inventoryPath)).plan;
  const id = ceremonyIdForTicket('jira:HA-3');
  await h.ceremonies.client.workflow.start('ceremonyWorkflow', {
    workflowId: id,
    taskQueue: h.ceremonies.taskQueue,
    args: [{ plan: direct }],
    typedSearchAttributes: ceremonySearchAttributes(direct),
  });
  const final = await result(h.ceremonies, id);
  expect(final).toMatchObject({ phase: 'refused', refusedBy: 'ha-exclusive', decisions: [] });
  expect(final.refusal).toContain(
    `CheckFailed: ha.exclusive: hsm-sim-2 is a member of HA group payments-ha, and another maintenance ceremony is open on a member of it: firmware-upgrade ${first.ceremonyId} on hsm-sim-1`,
  );
  expect(final.steps.filter((s) => s.status !== 'skipped').map((s) => s.id)).toEqual(['ha-exclusive']);
  expect(h.outbox().filter((m) => m.ceremonyId === id && /requested/.test(m.kind))).toEqual([]);
  expect(sim2.appliance.state.read()).toEqual(before);
  expect(before.audit).toEqual([]);

  // once the first has ended, the other member may be upgraded
  await h.ceremonies.cancel(first.ceremonyId, { by: OPERATOR, reason: 'HA exclusion test done' });
  await result(h.ceremonies, first.ceremonyId);
  const next = await h.ceremonies.start(request('hsm-sim-2', 'jira:HA-4'), loadInventory(inventoryPath));
  await waitForStatus(h.ceremonies, next.ceremonyId, (s) => s.openGate?.id === 'signoff', 60_000);
  await h.ceremonies.cancel(next.ceremonyId, { by: OPERATOR, reason: 'HA exclusion test done' });
  await result(h.ceremonies, next.ceremonyId);
});

test("a zeroize of a member: only the group's owners acknowledge it out of the group, for good, before the zeroize", async () => {
  const started = await h.ceremonies.start(
    {
      kind: 'zeroize-deprovision',
      hsm: 'hsm-sim-1',
      ticket: 'jira:HA-5',
      requester: REQUESTER,
      params: { waiver: 'partitions emptied under CAB-HA-5; nothing left to back up' },
    },
    loadInventory(inventoryPath),
  );
  const id = started.ceremonyId;
  for (const gate of ['approve-waiver', 'approve']) {
    const open = await waitForStatus(h.ceremonies, id, (s) => s.openGate?.id === gate, 60_000);
    for (const approver of ['alice@example.com', 'bob@example.com'])
      await h.ceremonies.approve(id, { gate, approver, planDigest: open.planDigest });
  }
  const atOwners = await waitForStatus(h.ceremonies, id, (s) => s.openGate?.id === 'ha-leave');
  expect(atOwners.openGate).toMatchObject({ quorum: 1, pending: [OWNER] });
  const asked = await h.waitForOutbox(
    (m) => m.ceremonyId === id && m.kind === 'approval-requested' && m.gate === 'ha-leave',
  );
  expect(asked.body).toContain(
    'hsm-sim-1 is out of HA group payments-ha for good (LunaCM: hagroup removemember -group payments-ha -serialnumber <member serial>)',
  );
  expect(asked.body).toContain(
    'hsm-sim-1 is zeroized and deprovisioned: it stays out of HA group payments-ha; do not add it back.',
  );
  // a security officer is not an owner of the group
  await expect(
    h.ceremonies.approve(id, { gate: 'ha-leave', approver: 'alice@example.com', planDigest: atOwners.planDigest }),
  ).rejects.toBeInstanceOf(CeremonyRefusal);
  await h.ceremonies.approve(id, { gate: 'ha-leave', approver: OWNER, planDigest: atOwners.planDigest });
  const after = await waitForStatus(
    h.ceremonies,
    id,
    (s) => s.openGate?.id !== 'ha-leave' && s.currentStep !== 'ha-leave',
  );
  expect(after.steps.find((s) => s.id === 'ha-leave')).toMatchObject({ status: 'succeeded' });
  expect(after.decisions.filter((d) => d.gate === 'ha-leave').map((d) => [d.actor, d.decision])).toEqual([
    [OWNER, 'approve'],
  ]);
  expect(after.steps.find((s) => s.id === 'zeroize')?.status).not.toBe('succeeded');
  // (the ARM check that follows has no Azure to reach here: stop before anything is sent)
  await h.ceremonies.cancel(id, { by: OPERATOR, reason: 'owners gate checked' });
  const ended = await waitForStatus(h.ceremonies, id, (s) => s.phase === 'cancelled', 60_000);
  expect(ended.steps.filter((s) => ['evidence', 'zeroize'].includes(s.id)).map((s) => s.status)).toEqual([
    'pending',
    'pending',
  ]);
  expect(sim1.appliance.state.read().zeroized).toBe(false);
});
