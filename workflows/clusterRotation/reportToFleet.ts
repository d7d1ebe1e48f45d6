// The hook a child rotation calls as it ends, so a fleet that has continued as new (and so no longer
// receives the child's completion) still learns the outcome: the signal goes to the fleet's
// workflow id, which every run of the fleet shares.
import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import type { RotationPhase } from '../../common/names.js';
import type { ClusterRotationInput } from '../../common/types.js';
import { clusterFinishedSignal } from '../definitions.js';


/** Tells the fleet that started this rotation (input.fleetRotationId) how it ended; a no-op without one. */
export async function reportToFleet(input: ClusterRotationInput, phase: RotationPhase, error?: string): Promise<void> {
  if (!input.fleetRotationId) return;
  const { workflowId, runId } = workflowInfo();
  try {
    await getExternalWorkflowHandle(input.fleetRotationId).signal(clusterFinishedSignal, {
      clusterId: input.clusterId, workflowId, runId, phase, ...(error === undefined ? {} : { error }),
    });
  } catch {
    // The fleet is gone (aborted, terminated, or a finished scheduled run): nobody is left to tell,
    // and the rotation's own result must not depend on it.
  }
}
