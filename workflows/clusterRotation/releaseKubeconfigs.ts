// The hook a rotation calls as it ends (Completed, Rejected, Cancelled, dry run): the worker forgets
// the kubeconfigs it cached for the cluster, so its disk holds admin credentials only while a
// rotation needs them. Housekeeping, not a step: its failure never changes how the rotation ended
// (the cache's age bound removes what a failed release left).
import { ActivityFailure, patched } from '@temporalio/workflow';
import type { RotationRun } from './run.js';
import { call } from './stepRunner.js';

/** Runs recorded before this hook replay without it. */
export const RELEASE_KUBECONFIGS_PATCH = 'release-cached-kubeconfigs-at-end';

export async function releaseKubeconfigs(run: RotationRun): Promise<void> {
  if (!patched(RELEASE_KUBECONFIGS_PATCH)) return;
  const { clusterId } = run.input;
  try {
    await call(run, 'releaseKubeconfigs', `Forget the worker's cached kubeconfigs of cluster ${clusterId}`, { clusterId });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
  }
}
