// The runbook's last steps: restart workloads (kubectl rollout restart) and recycle nodes. The
// batched activities are what runs now; the one-workload and one-node activities stay registered
// for runs recorded before the batches (workflows/clusterRotation/patches.ts, BATCHED_NODE_WORK).
import { Context } from '@temporalio/activity';
import type { RotationActivities } from '../../common/activities.js';
import { recycleAndReplace, recycleBatch, previewDrains, type NodeProgress } from './nodeRecycles.js';
import { restartBatch, restartOne } from './workloadRestarts.js';
import { resumed, type ActivityContext } from './context.js';

type PodAndNodeActivities = Pick<RotationActivities, 'restartWorkload' | 'recycleNode' | 'restartWorkloads' | 'recycleNodes' | 'previewDrain'>;

export function createPodAndNodeActivities(shared: ActivityContext): PodAndNodeActivities {
  const { deps, currentKubeconfig } = shared;
  return {
    async restartWorkload({ clusterId, workload, restartedAt }) {
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const progress = resumed<{ attempts: number; patched: boolean }>({ attempts: 0, patched: false });
      const result = await restartOne(shared, kube, clusterId, workload, restartedAt, progress, {
        reportPaused: false,
        onPatched: () => { progress.patched = true; Context.current().heartbeat({ ...progress }); },
      });
      return { workload, patched: result.patched || progress.patched };
    },

    async recycleNode({ clusterId, node }) {
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const progress = resumed<{ attempts: number } & NodeProgress>({ attempts: 0 });
      return await recycleAndReplace(shared, kube, clusterId, node, progress, progress, () => Context.current().heartbeat({ ...progress }));
    },

    restartWorkloads: (input) => restartBatch(shared, input),
    recycleNodes: (input) => recycleBatch(shared, input),
    previewDrain: (input) => previewDrains(shared, input),
  };
}
