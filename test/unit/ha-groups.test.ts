// HA groups in the inventory and what they add to maintenance plans (docs/ha-maintenance.md); the
// exclusion itself runs end to end in test/ceremonies/ha-maintenance.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { haGroupHolders } from '../../activities/ha-exclusion';
import { buildPlan } from '../../ceremonies/build-plan';
import { parseInventory, type Inventory } from '../../ceremonies/inventory';
import { PlanSchema } from '../../ceremonies/plan';
import { checkPlanPolicy } from '../../ceremonies/policy';
import { GOLDEN_HA_GROUPS, goldenRequest } from '../support/golden';
import { problems } from '../support/validation-problems';

const sampleText = readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8');
/** The sample with its commented haGroups example taken in. */
const uncommented = sampleText.replace(
  /^# haGroups:\n((?:# {3}.*\n)+)/m,
  (_all, body: string) => `haGroups:\n${body.replace(/^# /gm, '')}`,
);

function inventoryProblems(haGroups: unknown, approverGroups?: unknown): string[] {
  const raw = parseYaml(sampleText);
  return problems(() =>
    parseInventory(stringifyYaml({ ...raw, haGroups, ...(approverGroups ? { approverGroups } : {}) }), 'inv.yaml'),
  );
}

test("the sample inventory's commented example is a valid HA group", () => {
  expect(uncommented).not.toBe(sampleText);
  const inventory = parseInventory(uncommented, 'sample');
  expect(Object.keys(inventory.haGroups)).toEqual(['weu-payments-ha']);
  expect(inventory.haGroups['weu-payments-ha']).toEqual(GOLDEN_HA_GROUPS['weu-payments-ha']);
});

test('members are inventory HSMs, each in one group at most; a group is not named as an approver group', () => {
  expect(inventoryProblems({ pay: { members: ['hsm-weu-1', 'hsm-nope'], owners: ['o@example.com'] } })).toEqual([
    'haGroups.pay.members[1]: no HSM "hsm-nope" in hsms',
  ]);
  expect(
    inventoryProblems({
      a: { members: ['hsm-weu-1', 'hsm-weu-2'], owners: ['o@example.com'] },
      b: { members: ['hsm-weu-2'], owners: ['o@example.com'] },
    }),
  ).toEqual([
    'haGroups.b.members[0]: hsm-weu-2 is already a member of HA group a: an HSM belongs to one HA group at most',
  ]);
  expect(inventoryProblems({ 'security-officers': { members: ['hsm-weu-1'], owners: ['o@example.com'] } })).toEqual([
    'haGroups.security-officers: "security-officers" is also an approver group: name the HA group otherwise',
  ]);
  expect(inventoryProblems({ pay: { members: ['hsm-weu-1'], owners: [] } })[0]).toMatch(/^haGroups\.pay\.owners: /);
  expect(inventoryProblems({ pay: { members: ['hsm-weu-1', 'hsm-weu-1'], owners: ['o@example.com'] } })).toEqual([
    'haGroups.pay.members: members must be distinct',
  ]);
});

describe('plans on an HA member', () => {
  const inventory: Inventory = parseInventory(uncommented, 'sample');

  test("only maintenance kinds get the owners' gates; a backup of a member is unchanged", () => {
    const plain = parseInventory(sampleText, 'sample');
    expect(buildPlan(goldenRequest('backup'), inventory).digest).toBe(buildPlan(goldenRequest('backup'), plain).digest);
  });

  test("a requester who is the group's only owner cannot acknowledge their own ceremony: refused, naming why", () => {
    expect(
      problems(() =>
        buildPlan(
          { ...goldenRequest('zeroize-deprovision-ha-member'), requester: 'payments-owner@example.com' },
          inventory,
        ),
      ),
    ).toEqual([
      'requester: payments-owner@example.com is the only owner of HA group weu-payments-ha: another owner must acknowledge the member taken out; ask one to request it, or add an owner',
    ]);
  });

  test("the worker refuses an owners' gate that names anyone else, and it approves nothing the policy asks for", () => {
    const { plan } = buildPlan(goldenRequest('zeroize-deprovision-ha-member'), inventory);
    const forged = PlanSchema.parse({
      ...plan,
      steps: plan.steps.map((s) =>
        s.id === 'ha-leave' ? { ...s, approvers: ['payments-owner@example.com', 'mallory@example.com'] } : s,
      ),
    });
    expect(checkPlanPolicy(forged, inventory)).toEqual({
      ok: false,
      problems: ['steps[3] (ha-leave): mallory@example.com not owners of HA group weu-payments-ha'],
    });
    // without the security officers' gate, the owners' acknowledgement does not let the zeroize run
    const noApproval = PlanSchema.parse({ ...plan, steps: plan.steps.filter((s) => s.id !== 'approve') });
    const checked = checkPlanPolicy(noApproval, inventory);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems).toContainEqual(
      expect.stringMatching(
        /\(zeroize\): hsm\.zeroize is irreversible on hsm-weu-1: the policy needs 2 approvals from security-officers before it, and the plan has no such gate$/,
      ),
    );
  });
});

test('visibility that cannot be read throws (the client and the precheck then fail closed); an HSM in no group asks nothing', async () => {
  // a Temporal frontend nobody listens on
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
  const client = new Client({ connection });
  const haGroups = { pay: { members: ['hsm-a', 'hsm-b'], owners: ['o@example.com'] } };
  await expect(
    connection.withDeadline(Date.now() + 1500, () => haGroupHolders(client, 'ceremonies', { haGroups }, 'hsm-a')),
  ).rejects.toThrow();
  await expect(haGroupHolders(client, 'ceremonies', { haGroups }, 'hsm-c')).resolves.toEqual([]);
  await connection.close();
});
