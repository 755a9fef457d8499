import { OPERATIONS } from '../../activities/ops';
import { OPERATION_NAMES, operationKind } from '../../ceremonies/operations';

// The kinds the policy reads are declared in the catalogue; the activities implement operations
// by name. The two lists must be the same, or a plan could name an operation the policy cannot
// classify (refused) or the policy could classify one no worker runs.
test('the catalogue names exactly the operations the activities implement', () => {
  expect([...OPERATION_NAMES].sort()).toEqual(OPERATIONS.map((op) => op.name).sort());
});

test('what destroys or moves key material is never read-only or reversible', () => {
  expect(['hsm.zeroize', 'firmware.upgrade', 'azure.deleteDedicatedHsm'].map(operationKind)).toEqual([
    'irreversible',
    'irreversible',
    'irreversible',
  ]);
  expect(operationKind('backup.partition')).toBe('key-material');
});
