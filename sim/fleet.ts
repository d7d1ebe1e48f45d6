// Seeded fleet generator: the same seed always gives the same clusters, pools, nodes and (through the
// per-cluster random the Kubernetes side receives) the same Kubernetes objects.
import type { LkeCluster, LkePool } from '../common/types.js';
import { seededRandom } from './faults.js';
import type { KubeSeed } from './kube/cluster.js';
import { linodeTimestamp, randomHex, type KubeClusterHandle, type SimState } from './state.js';

/** The seed sim/kube's KubeCluster.seed takes. */
export type KubeSeedInput = KubeSeed;

export type KubeClusterFactory<K extends KubeClusterHandle> = (seed: KubeSeedInput) => K;

export interface FleetOptions {
  clusters: number;
  seed: number;
  /** app namespaces per cluster, passed to the Kubernetes side */
  appNamespaces?: number;
  firstClusterId?: number;
  /** regions to spread the clusters over; default all of REGIONS */
  regions?: readonly string[];
  /** user-owned legacy token Secrets each cluster holds in kube-system (sim/kube/userTokens.ts); default 0 */
  userTokenSecrets?: number;
  /** PodDisruptionBudgets for the app workloads (sim/kube/seed.ts); default true */
  pdbs?: boolean;
  /** nodes per cluster, spread over its pools; default 1-3 per pool, chosen by the seed */
  nodesPerCluster?: number;
  /** app Deployments per cluster (2 replicas and a budget each); default one per app namespace */
  workloadsPerCluster?: number;
}

export const REGIONS = ['us-east', 'us-iad', 'us-ord', 'us-sea', 'eu-west', 'eu-central', 'ap-south', 'ap-northeast', 'ca-central'];
export const K8S_VERSIONS = ['1.26', '1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
const NODE_TYPES = ['g6-standard-2', 'g6-standard-4', 'g6-dedicated-4', 'g6-standard-8'];
const ENVIRONMENTS = ['prod', 'staging', 'dev'];
const TEAMS = ['payments', 'search', 'platform', 'data', 'web'];
// Fixed so a seed reproduces the same `created` dates whenever it runs.
const FLEET_EPOCH = Date.UTC(2024, 0, 1);
const DAY_MS = 86_400_000;

export function generateFleet<K extends KubeClusterHandle>(state: SimState<K>, options: FleetOptions, seedKube: KubeClusterFactory<K>): void {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const hex = (length: number): string => randomHex(random, length);
  const firstClusterId = options.firstClusterId ?? 100_000;
  const regions = options.regions?.length ? options.regions : REGIONS;
  let nextPoolId = 200_000;
  let nextInstanceId = 50_000_000;
  const { nodesPerCluster } = options;
  if (nodesPerCluster !== undefined && !(Number.isInteger(nodesPerCluster) && nodesPerCluster >= 1)) {
    throw new Error(`nodesPerCluster must be a whole number of at least 1, not ${nodesPerCluster}`);
  }

  for (let i = 0; i < options.clusters; i++) {
    const id = firstClusterId + i;
    const region = pick(regions);
    const env = pick(ENVIRONMENTS);
    const team = pick(TEAMS);
    const created = new Date(FLEET_EPOCH + Math.floor(random() * 600) * DAY_MS + Math.floor(random() * DAY_MS));
    const cluster: LkeCluster = {
      id,
      label: `${team}-${env}-${region}-${i + 1}`,
      region,
      k8s_version: pick(K8S_VERSIONS),
      status: 'ready',
      tier: random() < 0.1 ? 'enterprise' : 'standard',
      tags: [`env:${env}`, `team:${team}`, ...(random() < 0.3 ? ['pci'] : [])],
      control_plane: { high_availability: env === 'prod' || random() < 0.2 },
      created: linodeTimestamp(created),
      updated: linodeTimestamp(created),
    };

    const drawnPools = 1 + Math.floor(random() * 2);
    // a pool holds at least one node
    const poolCount = nodesPerCluster === undefined ? drawnPools : Math.min(drawnPools, nodesPerCluster);
    const pools: { pool: LkePool; instanceLabels: string[] }[] = [];
    const kubeNodes: { name: string; providerID: string }[] = [];
    for (let p = 0; p < poolCount; p++) {
      const poolId = nextPoolId++;
      const drawnCount = 1 + Math.floor(random() * 3);
      const count = nodesPerCluster === undefined
        ? drawnCount
        : Math.floor(nodesPerCluster / poolCount) + (p < nodesPerCluster % poolCount ? 1 : 0);
      const pool: LkePool = {
        id: poolId,
        type: pick(NODE_TYPES),
        count,
        nodes: [],
        tags: [],
        disks: [],
        autoscaler: { enabled: false, min: count, max: count },
      };
      const instanceLabels: string[] = [];
      for (let n = 0; n < count; n++) {
        const instanceId = nextInstanceId++;
        const name = `lke${id}-${poolId}-${hex(12)}`;
        pool.nodes.push({ id: `${poolId}-${hex(10)}`, instance_id: instanceId, status: 'ready' });
        instanceLabels.push(name);
        kubeNodes.push({ name, providerID: `linode://${instanceId}` });
      }
      pools.push({ pool, instanceLabels });
    }

    // Each cluster's Kubernetes objects come from their own seeded random, so seeding them lazily,
    // in whatever order clusters are first used, gives the same objects.
    const kubeSeed: KubeSeedInput = {
      clusterId: id,
      k8sVersion: cluster.k8s_version,
      nodes: kubeNodes,
      random: seededRandom(options.seed * 1_000_003 + id),
      appNamespaces: options.appNamespaces,
      rolloutStepMs: state.delays.rolloutStepMs,
      tokenControllerMs: state.delays.tokenControllerMs,
      userTokenSecrets: options.userTokenSecrets,
      pdbs: options.pdbs,
      workloadsPerCluster: options.workloadsPerCluster,
    };
    state.add({ cluster, pools, seedKube: () => seedKube(kubeSeed) });
  }
}
