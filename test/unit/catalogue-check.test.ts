import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan, catalogueProblem, childCatalogueProblem } from '../../ceremonies/build-plan';
import { parseInventory, type Inventory } from '../../ceremonies/inventory';
import { PlanSchema, type Plan } from '../../ceremonies/plan';
import { standingApprovalProblem } from '../../ceremonies/policy';
import { GOLDEN, goldenInventory, goldenRequest } from '../support/golden';
import { problems } from '../support/validation-problems';

// The worker's catalogue check (activities/policy-check.ts `catalogueCheck`): a plan runs only if
// the catalogue rebuilds it, from the request it names, with the worker's inventory.

const inventory: Inventory = parseInventory(readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8'));
const base = { hsm: 'hsm-weu-1', ticket: 'jira:OPS-7', requester: 'dave@example.com' } as const;
const standingBackup = () =>
  buildPlan(
    { ...base, kind: 'backup', params: { partitions: 'payments', standingApproval: 'nightly-backup-weu-1' } },
    inventory,
  ).plan;

describe('every plan the catalogue builds passes its own rebuild', () => {
  test.each(Object.keys(GOLDEN))('%s', (name) => {
    const built = GOLDEN[name].haMember ? goldenInventory(name) : inventory;
    const { plan } = buildPlan(goldenRequest(name), built);
    expect(catalogueProblem(plan, built)).toBeUndefined();
  });

  test('the rebuild does not depend on the day: a plan built today rebuilds the same a year on (the standing approval still valid)', () => {
    const plan = standingBackup();
    expect(catalogueProblem(plan, inventory, Date.parse('2027-06-30T12:00:00Z'))).toBeUndefined();
    // ... and once the approval has expired, the rebuild refuses the run
    expect(catalogueProblem(plan, inventory, Date.parse('2028-01-01T00:00:00Z'))).toMatch(
      /standing approval nightly-backup-weu-1 expired on 2027-12-31/,
    );
  });
});

describe('a plan the catalogue does not build is refused, naming what differs', () => {
  test('an added step, after a standing approval', () => {
    const genuine = standingBackup();
    const steps = [...genuine.steps];
    steps.splice(3, 0, {
      id: 'syslog',
      type: 'device',
      title: 'Syslog',
      hsm: 'hsm-weu-1',
      op: 'hsm.configureSyslog',
      args: { host: '203.0.113.66' },
    } as never);
    const forged = PlanSchema.parse({ ...genuine, steps });
    expect(catalogueProblem(forged, inventory)).toMatch(
      /step 4 is syslog \(device hsm.configureSyslog\): the catalogue's plan has register-workstation \(device client.register\)/,
    );
  });

  test('a step whose arguments were changed', () => {
    const genuine = standingBackup();
    const forged = PlanSchema.parse({
      ...genuine,
      steps: genuine.steps.map((s) => (s.id === 'backup-payments' ? { ...s, args: { partition: 'signing' } } : s)),
    });
    expect(catalogueProblem(forged, inventory)).toMatch(
      /step \d+, backup-payments \(device backup.partition\), differs from the catalogue's in args/,
    );
  });

  test('a step removed from the end, a changed title, a request the catalogue refuses', () => {
    const genuine = standingBackup();
    expect(catalogueProblem(PlanSchema.parse({ ...genuine, steps: genuine.steps.slice(0, -1) }), inventory)).toMatch(
      /step \d+ is missing: the catalogue's plan has verify-payments \(check backup.verify\)/,
    );
    expect(catalogueProblem({ ...genuine, title: 'Nothing to see' }, inventory)).toMatch(
      /its title is not the one the catalogue gives/,
    );
    expect(
      catalogueProblem(
        { ...genuine, params: { partitions: 'payments', standingApproval: 'nightly-backup-weu-1', extra: 'x' } },
        inventory,
      ),
    ).toMatch(/the catalogue builds no plan from the request it names: params\./);
  });
});

describe("a child ceremony runs only the plan its parent's verified plan embeds", () => {
  const parent = buildPlan(goldenRequest('firmware-upgrade'), inventory).plan;
  const child = parent.steps.find((s) => s.type === 'ceremony')!.plan as unknown as Plan;

  test("the embedded backup, with its parent's plan: accepted; rebuilt alone it would differ (no gate)", () => {
    expect(childCatalogueProblem(child, parent, inventory)).toBeUndefined();
    expect(catalogueProblem(child, inventory)).toMatch(/not the plan the worker's catalogue builds/);
  });

  test('without its parent plan, with a forged parent plan, or a plan its parent does not embed: refused', () => {
    expect(childCatalogueProblem(child, undefined, inventory)).toMatch(/none came/);
    const forgedParent = PlanSchema.parse({
      ...parent,
      steps: parent.steps.map((s) => (s.type === 'ceremony' ? { ...s, plan: { ...child, title: 'x' } } : s)),
    });
    expect(childCatalogueProblem({ ...child, title: 'x' }, forgedParent, inventory)).toMatch(
      /its parent's plan: .*step \d+, backup \(ceremony\), differs from the catalogue's in plan/,
    );
    const otherChild = PlanSchema.parse({ ...child, steps: child.steps.slice(0, -1) });
    expect(childCatalogueProblem(otherChild, parent, inventory)).toMatch(
      /not the plan of any child ceremony step of its parent's plan/,
    );
  });
});

describe('a standing approval covers the kind, HSM, partitions and backup device it names', () => {
  const now = Date.parse('2027-01-01T00:00:00Z');
  test('partition payments is covered, signing is not', () => {
    expect(
      standingApprovalProblem(
        inventory,
        'nightly-backup-weu-1',
        { kind: 'backup', hsm: 'hsm-weu-1', partitions: ['payments'] },
        now,
      ),
    ).toBeUndefined();
    expect(
      standingApprovalProblem(
        inventory,
        'nightly-backup-weu-1',
        { kind: 'backup', hsm: 'hsm-weu-1', partitions: ['payments', 'signing'] },
        now,
      ),
    ).toBe('standing approval nightly-backup-weu-1 covers the partitions payments, not signing');
    expect(
      standingApprovalProblem(inventory, 'nightly-backup-weu-1', { kind: 'backup', hsm: 'hsm-weu-1' }, now),
    ).toMatch(/this run names none/);
  });

  test('at plan build: a backup of signing on the nightly approval is refused', () => {
    expect(
      problems(() =>
        buildPlan(
          { ...base, kind: 'backup', params: { partitions: 'signing', standingApproval: 'nightly-backup-weu-1' } },
          inventory,
        ),
      ).join('\n'),
    ).toMatch(/standing approval nightly-backup-weu-1 covers the partitions payments, not signing/);
  });

  test('an HSM whose backups now go to another device is no longer covered', () => {
    const moved: Inventory = {
      ...inventory,
      backupDevices: { ...inventory.backupDevices, 'other-backup': inventory.backupDevices['onprem-backup'] },
      hsms: { ...inventory.hsms, 'hsm-weu-1': { ...inventory.hsms['hsm-weu-1'], backupDevice: 'other-backup' } },
    };
    expect(
      standingApprovalProblem(
        moved,
        'nightly-backup-weu-1',
        { kind: 'backup', hsm: 'hsm-weu-1', partitions: ['payments'] },
        now,
      ),
    ).toBe('standing approval nightly-backup-weu-1 covers backups to onprem-backup, not to other-backup');
  });

  test('the inventory refuses a standing approval that names no parameters, or another kind than backup or restore-drill', () => {
    const yaml = readFileSync(join(__dirname, '../../config/inventory.yaml'), 'utf8');
    expect(() =>
      parseInventory(
        yaml.replace(
          / {4}# what it covers[^\n]*\n {4}params:\n {6}partitions: \[payments\]\n {6}backupDevice: onprem-backup\n/,
          '',
        ),
      ),
    ).toThrow(/standingApprovals.nightly-backup-weu-1.params/);
    expect(() =>
      parseInventory(
        yaml.replace('    ceremony: backup\n    hsm: hsm-weu-1', '    ceremony: rehearsal\n    hsm: hsm-weu-1'),
      ),
    ).toThrow(/covers backups and restore drills only/);
  });
});
