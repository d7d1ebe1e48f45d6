// Tests that switch an approval gate off do so as an admin would: the workflow keeps a gate on
// when nobody is recorded as having switched it off (docs/design.md, "The controls").
import { gatesSwitchedOffIn } from '../../common/gates.js';
import type { ClusterRotationWorkflowInput } from '../../common/types.js';

export const TEST_ADMIN = 'test-admin';

export function asAdmin<T extends Pick<ClusterRotationWorkflowInput, 'approvals'>>(input: T): T {
  const { approvals } = input;
  if (!gatesSwitchedOffIn(approvals).length || approvals?.disabledBy) return input;
  return { ...input, approvals: { ...approvals, disabledBy: TEST_ADMIN } };
}
