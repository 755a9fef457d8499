import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceAccess } from '../../activities/device/device-access';
import { SecretUnavailable } from '../../activities/device/secrets';
import { buildPlan } from '../../ceremonies/build-plan';
import { effectiveRule, parseInventory, type Inventory } from '../../ceremonies/inventory';
import { operationKind } from '../../ceremonies/operations';
import { own } from '../../ceremonies/own';
import { PlanSchema, type PlanInput } from '../../ceremonies/plan';
import { checkPlanPolicy, standingApprovalProblem } from '../../ceremonies/policy';
import { ticketRequest } from '../../ceremonies/tickets';
import { ValidationError } from '../../ceremonies/validation';

// Every name that comes from a request, a ticket or a plan is looked up as an own property: the
// names of Object.prototype's members are just strings that name nothing.
const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const inventory: Inventory = parseInventory(readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8'));
const base = {
  kind: 'backup',
  hsm: 'hsm-weu-1',
  ticket: 'jira:OPS-1',
  requester: 'dave@example.com',
  params: { partitions: 'payments' },
} as const;

function refusal(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err; // a TypeError here is the bug this file guards against
  }
  throw new Error('expected the request to be refused');
}

describe.each(NAMES)('the name %j', (name) => {
  test('is no HSM, group, standing approval or external signer when a plan is built', () => {
    expect(refusal(() => buildPlan({ ...base, hsm: name }, inventory)).join('\n')).toMatch(/hsm: /);
    expect(
      refusal(() => buildPlan({ ...base, params: { partitions: 'payments', standingApproval: name } }, inventory)).join(
        '\n',
      ),
    ).toMatch(/standingApproval|standingApprovals/);
    expect(
      refusal(() => buildPlan({ ...base, params: { partitions: 'payments', group: name } }, inventory)).join('\n'),
    ).toMatch(/group|approverGroups/);
    expect(
      refusal(() =>
        buildPlan(
          {
            ...base,
            kind: 'firmware-upgrade',
            params: {
              file: 'f.spkg',
              sha256: 'a'.repeat(64),
              authCode: 'Auth42x',
              targetFirmware: '7.8.4',
              partitions: 'p',
              signer: name,
            },
          },
          inventory,
        ),
      ).join('\n'),
    ).toMatch(/signer|externalSigners/);
    expect(refusal(() => buildPlan({ ...base, kind: name as never }, inventory)).join('\n')).toMatch(/kind: /);
    expect(
      refusal(() =>
        buildPlan(
          {
            ...base,
            kind: 'partition-create',
            params: { partition: 'p1', client: name, clientHost: 'app.example.com' },
          },
          inventory,
        ),
      ).join('\n'),
    ).toMatch(/client|clientCertificates/);
  });

  test('is refused from a ticket without a crash', () => {
    const { mapping } = ticketRequest('generic', {
      ticket: 'T-1',
      kind: 'backup',
      hsm: name,
      requester: 'dave@example.com',
      params: { partitions: 'p', standingApproval: name, group: name },
    });
    if (mapping) expect(refusal(() => buildPlan(mapping.request, inventory)).length).toBeGreaterThan(0);
  });

  test("is no HSM, group, operator or standing approval to the worker's policy check", () => {
    const plan = (over: Partial<PlanInput>, steps: PlanInput['steps']) =>
      PlanSchema.safeParse({
        version: 1,
        kind: 'backup',
        title: 't',
        requester: 'dave@example.com',
        ticket: 'jira:OPS-2',
        hsm: 'hsm-weu-1',
        operators: ['ops@example.com'],
        steps,
        ...over,
      });
    const gate = {
      id: 'approve',
      type: 'approval' as const,
      title: 'g',
      group: name,
      approvers: ['alice@example.com', 'bob@example.com'],
      quorum: 2,
      deadline: '1h',
    };
    const cases = [
      plan({ hsm: name }, [{ id: 'show', type: 'check', title: 's', op: 'hsm.show' }]),
      plan({}, [gate, { id: 'z', type: 'device', title: 'z', hsm: 'hsm-weu-1', op: 'hsm.zeroize' }]),
      plan({}, [
        { id: 'standing', type: 'check', title: 's', op: 'approval.standing', args: { id: name } },
        { id: 'b', type: 'device', title: 'b', hsm: 'hsm-weu-1', op: 'backup.partition', args: { partition: 'p' } },
      ]),
      plan({}, [{ id: 'x', type: 'device', title: 'x', hsm: name, op: 'hsm.show' }]),
    ];
    // refused by the plan schema (names with capitals or underscores), else by the policy check
    for (const parsed of cases) expect(parsed.success && checkPlanPolicy(parsed.data, inventory).ok).toBe(false);
    expect(standingApprovalProblem(inventory, name, { kind: 'backup', hsm: 'hsm-weu-1' }, Date.now())).toBe(
      `standing approval "${name}" is not in the inventory`,
    );
    expect(effectiveRule(inventory, name, 'irreversible')).toEqual(inventory.policy.irreversible);
    expect(operationKind(name)).toBeUndefined();
  });

  test('names no device, backup device or credential to the activities', () => {
    expect(() => DeviceAccess.forHsm(inventory, name)).toThrow(SecretUnavailable);
    expect(() => DeviceAccess.forBackupOf(inventory, name)).toThrow(SecretUnavailable);
    const device = DeviceAccess.forHsm(inventory, 'hsm-weu-1');
    return expect(device.secret(name)).rejects.toThrow(/has no .* credential/);
  });

  test('is found by `own` only when it was put there', () => {
    expect(own(inventory.hsms, name)).toBeUndefined();
    expect(own(inventory.approverGroups, name)).toBeUndefined();
    expect(own(inventory.standingApprovals, name)).toBeUndefined();
    expect(own(inventory.backupDevices, name)).toBeUndefined();
    expect(own(inventory.operatorLogins, name)).toBeUndefined();
    expect(own(inventory.signingKeys, name)).toBeUndefined();
    expect(own(inventory.clientCertificates, name)).toBeUndefined();
    expect(own({ [name]: 1 }, name)).toBe(1);
  });
});

test('an inventory may name an HSM "constructor": it is found as itself', () => {
  const text = readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8').replace(
    '  hsm-weu-2:',
    '  constructor:',
  );
  const inv = parseInventory(text);
  expect(own(inv.hsms, 'constructor')).toMatchObject({ port: 2202 });
  expect(Object.getPrototypeOf(inv.hsms)).toBeNull();
});
