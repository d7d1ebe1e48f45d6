// snapshotCluster: what the cluster holds before anything changes, or why it can only roll forward.
import { Context } from '@temporalio/activity';
import type { SnapshotInput, RotationActivities } from '../../common/activities.js';
import type { ClusterSnapshot, LkeCluster, LkePool, PoolNodeRef } from '../../common/types.js';
import { KUBE_SYSTEM, isUserOwned, lkeTokenServiceAccounts } from '../../common/lke.js';
import { kubeconfigFingerprint } from '../kubeconfig/parse.js';
import { snapshotRef } from '../kube/tokenSecrets.js';
import type { ActivityContext } from './context.js';
import { affectedWorkloads } from '../affected.js';

/** Every node of every pool, as the Linode API lists them. */
function poolsOf(pools: LkePool[]): PoolNodeRef[] {
  return pools.flatMap((pool) => pool.nodes.map((node) => ({
    poolId: pool.id, nodeId: node.id, instanceId: node.instance_id, status: node.status,
  })));
}

/** What the snapshot knows from the Linode API alone. */
function clusterFacts(clusterId: number, cluster: LkeCluster, poolNodes: PoolNodeRef[]) {
  return {
    clusterId,
    label: cluster.label,
    region: cluster.region,
    k8sVersion: cluster.k8s_version,
    tier: cluster.tier,
    highAvailability: cluster.control_plane?.high_availability ?? false,
    poolNodes,
  };
}

export function createSnapshotActivity(shared: ActivityContext): Pick<RotationActivities, 'snapshotCluster'> {
  const { deps, linode, cache } = shared;
  return {
    async snapshotCluster({ clusterId, restartScope, pools: withPools = true }: SnapshotInput): Promise<ClusterSnapshot> {
      const log = Context.current().log;
      const cluster = await linode.getCluster(clusterId);
      const pools = withPools ? await linode.listPools(clusterId) : [];
      const served = await linode.getKubeconfig(clusterId);
      if (served.status === 'notReady') {
        // A regeneration is under way (a rotation stopped inside its window, or one by hand): the
        // old credentials are gone or going, and the new ones are not out yet. Waiting here would
        // leave the run stoppable with no one to deliver them; the workflow rolls forward instead.
        log.warn('the kubeconfig answers 503: a regeneration is under way', { clusterId });
        return {
          ...clusterFacts(clusterId, cluster, poolsOf(pools)), takenAt: new Date().toISOString(), adminTokenFingerprint: null,
          tokenSecrets: [], nodes: [], workloads: [], credentials: 'regenerating',
        };
      }
      const { kubeconfig } = served;
      const fingerprint = kubeconfigFingerprint(kubeconfig);
      await cache.put(clusterId, fingerprint, kubeconfig);
      const kube = deps.kube(kubeconfig);
      if (await kube.checkAccess() === 'unauthorized') {
        // Nothing in the cluster can be read; what Linode knows (pools) is enough to roll forward.
        log.warn('the current kubeconfig is rejected (401): the cluster has no working credentials', { clusterId, fingerprint });
        return {
          ...clusterFacts(clusterId, cluster, poolsOf(pools)), takenAt: new Date().toISOString(), adminTokenFingerprint: fingerprint,
          tokenSecrets: [], nodes: [], workloads: [], credentials: 'rejected',
        };
      }
      const lkeAccounts = lkeTokenServiceAccounts(cluster.k8s_version);
      const [secrets, nodes, inScope, templates] = await Promise.all([
        kube.listTokenSecrets(KUBE_SYSTEM), kube.listNodes(), kube.listWorkloads(restartScope),
        // token Secrets live in kube-system, and a pod can only name Secrets of its own namespace
        restartScope === 'affected' ? kube.listPodTemplates(KUBE_SYSTEM) : Promise.resolve([]),
      ]);
      const poolNodes = poolsOf(pools);
      const tokenSecrets = secrets.map((s) => snapshotRef(s, lkeAccounts));
      const workloads = restartScope === 'affected' ? affectedWorkloads(templates, tokenSecrets) : inScope;
      log.info('snapshot taken', {
        clusterId, fingerprint, tokenSecrets: secrets.length, userOwnedTokenSecrets: tokenSecrets.filter(isUserOwned).length, nodes: nodes.length, poolNodes: poolNodes.length,
        workloads: workloads.length,
      });
      return {
        ...clusterFacts(clusterId, cluster, poolNodes),
        takenAt: new Date().toISOString(),
        adminTokenFingerprint: fingerprint,
        tokenSecrets,
        nodes,
        workloads,
      };
    },
  };
}
