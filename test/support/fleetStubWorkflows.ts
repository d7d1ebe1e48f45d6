// Workflows for the fleet tests (fleetHarness.ts): the real fleetRotation with a stand-in
// clusterRotation, so the fleet's scheduling (waves, concurrency, budget, attach,
// continue-as-new) is tested on its own.
// The stand-in does what a child owes its fleet: one activity per rotation (the test's fake decides
// how long it takes and whether it fails), a RotationReport, and the report back by signal.
import { proxyActivities } from '@temporalio/workflow';
import type { RotationActivities } from '../../common/activities.js';
import type { RotationPhase } from '../../common/names.js';
import type { ClusterRotationInput, RotationReport } from '../../common/types.js';
import { reportToFleet } from '../../workflows/clusterRotation/reportToFleet.js';

export { fleetRotation } from '../../workflows/fleetRotation/workflow.js';

const { snapshotCluster } = proxyActivities<RotationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** Clusters whose id is a multiple of this do not report back by signal, so the fleet's watch must notice them. */
export const SILENT_CLUSTER_MODULUS = 3;

export async function clusterRotation(input: ClusterRotationInput): Promise<RotationReport> {
  let phase: RotationPhase = 'Completed';
  let error: string | undefined;
  try {
    await snapshotCluster({ clusterId: input.clusterId, restartScope: input.restart?.scope ?? 'none' });
  } catch (err) {
    phase = 'Failed';
    error = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
  }
  if (input.clusterId % SILENT_CLUSTER_MODULUS !== 0) await reportToFleet(input, phase, error);
  return {
    clusterId: input.clusterId, phase, requestedBy: input.requestedBy, dryRun: input.dryRun ?? false, plan: null,
    deleted: null, newFingerprint: null, delivered: null, restarted: [], recycled: [], skippedSteps: [], notDone: [],
    timeline: [{ at: new Date().toISOString(), step: 'snapshot', phase, event: phase, ...(error ? { detail: error } : {}) }],
  };
}
