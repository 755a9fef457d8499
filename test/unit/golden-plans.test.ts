// Golden plans: one file per ceremony kind (and variant) in test/golden/, each the plan and digest
// that `buildPlan` makes from config/inventory.yaml and the fixed request of test/support/golden.ts
// (hsm-weu-1, ticket jira:GOLDEN-1, requester dave@example.com, the parameters listed there).
// A change to a plan builder, the plan schema or the sample inventory shows up here as a diff to
// review. Once reviewed, rewrite the files with
//   UPDATE_GOLDEN=1 npx jest test/unit/golden-plans.test.ts
// and commit them with the change.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildPlan } from '../../ceremonies/build-plan';
import { loadInventory } from '../../ceremonies/inventory';
import { CEREMONY_KINDS } from '../../ceremonies/plan';
import { GOLDEN, GOLDEN_INVENTORY, goldenFile, goldenInventory, goldenRequest } from '../support/golden';

const inventory = loadInventory(GOLDEN_INVENTORY);

test('every ceremony kind has a golden plan', () => {
  expect([...new Set(Object.values(GOLDEN).map((g) => g.kind))].sort()).toEqual([...CEREMONY_KINDS].sort());
});

for (const name of Object.keys(GOLDEN)) {
  test(`${name}: the plan and digest built now are test/golden/${name}.json`, () => {
    const { plan, digest } = buildPlan(goldenRequest(name), GOLDEN[name].haMember ? goldenInventory(name) : inventory);
    const built = { plan, planDigest: digest };
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenFile(name), `${JSON.stringify(built, null, 2)}\n`);
    try {
      expect(built).toEqual(JSON.parse(readFileSync(goldenFile(name), 'utf8')));
    } catch (err) {
      (err as Error).message =
        `test/golden/${name}.json (Expected) differs from the plan built now (Received); if the change is meant, review it and run UPDATE_GOLDEN=1 npx jest test/unit/golden-plans.test.ts\n\n${(err as Error).message}`;
      throw err;
    }
  });
}
