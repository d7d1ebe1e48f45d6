// The simulator's Linode-side state: clusters, pools, nodes, kubeconfig readiness, and the background
// work LKE does after regenerate and recycle. The Kubernetes side of each cluster lives in a
// KubeCluster (sim/kube/); this file only drives it through the narrow interface below.
import type { LkeCluster, LkePool, LkePoolNode } from '../common/types.js';
import type { SimClock } from './clock.js';

/** What the Linode side needs from a simulated cluster's Kubernetes API (sim/kube's KubeCluster). */
export interface KubeClusterHandle {
  adminToken(): string;
  regenerateServiceTokens(): void;
  addNode(node: { name: string; providerID: string }, ready: boolean): void;
  removeNode(name: string): void;
  setNodeReady(name: string, ready: boolean): void;
  nodeNames(): string[];
  /** stops the cluster's own background work (rollouts) */
  stop?(): void;
}

/** Simulated (real-world) durations; the clock's time scale turns them into real milliseconds. */
export interface SimDelays {
  /** from regenerate (or kubeconfig delete) until GET /kubeconfig stops answering 503 */
  kubeconfigReadyMs: number;
  /** from regenerate (or servicetoken delete) until kube-system token Secrets are recreated */
  tokenSecretsRecreateMs: number;
  /** a recycled node's replacement Linode boots and joins (instance_id null meanwhile) */
  nodeRecycleMs: number;
  /** from the replacement joining (NotReady) until its Node is Ready */
  nodeReadyMs: number;
  /** one step of a workload rollout (used by the Kubernetes side) */
  rolloutStepMs: number;
  /** from a token Secret's write until the token controller fills in its token (Kubernetes side) */
  tokenControllerMs: number;
  /**
   * after a kubeconfig regenerate, how long GET /kubeconfig keeps serving the kubeconfig from before it
   * (old token) instead of 503 or the new one, as LKE was seen to do; 0 (default): never
   */
  staleKubeconfigMs: number;
}

// LKE documents 2-5 minutes for a new kubeconfig and about 2 were observed; the rest are typical.
export const DEFAULT_DELAYS: SimDelays = {
  kubeconfigReadyMs: 120_000,
  tokenSecretsRecreateMs: 20_000,
  nodeRecycleMs: 90_000,
  nodeReadyMs: 30_000,
  rolloutStepMs: 5_000,
  tokenControllerMs: 1_000,
  staleKubeconfigMs: 0,
};

export interface SimNode {
  pool: LkePool;
  node: LkePoolNode;
  /** the Linode instance label, which is also the Kubernetes Node name; null while being replaced */
  instanceLabel: string | null;
}

export interface SimCluster<K extends KubeClusterHandle = KubeClusterHandle> {
  cluster: LkeCluster;
  pools: LkePool[];
  /** the cluster's Kubernetes side, seeded on first use so a large fleet starts fast */
  readonly kube: K;
  /** false until something has used `kube` */
  readonly kubeSeeded: boolean;
  /** Linode node id -> current instance label (Kubernetes Node name) */
  instanceLabels: Map<string, string | null>;
  kubeconfigReady: boolean;
  kubeconfigNeverReady: boolean;
  /** bumped by every kubeconfig regeneration, so only the latest one's delay makes it ready */
  kubeconfigGeneration: number;
  /** the admin token of the kubeconfig GET /kubeconfig still serves after a regenerate (staleKubeconfigMs), or null */
  staleKubeconfigToken: string | null;
  /**
   * fields merged into the served kubeconfig's cluster and user entries, e.g. `insecure-skip-tls-verify`
   * or `exec`, which LKE never sends: tests of a kubeconfig the rotator must refuse
   */
  kubeconfigExtras?: { cluster?: Record<string, unknown>; user?: Record<string, unknown> };
  /** Linode node ids whose Kubernetes Node never becomes Ready (survives recycles) */
  neverReadyNodes: Set<string>;
  recycleQueue: string[];
  recycling: string | null;
}

export interface NewCluster<K extends KubeClusterHandle = KubeClusterHandle> {
  cluster: LkeCluster;
  pools: { pool: LkePool; instanceLabels: (string | null)[] }[];
  /** called once, the first time the cluster's Kubernetes side is needed; must be deterministic */
  seedKube: () => K;
}

/** K: the Kubernetes side's cluster type (sim/kube's KubeCluster in the real simulator) */
export class SimState<K extends KubeClusterHandle = KubeClusterHandle> {
  private readonly clusters = new Map<number, SimCluster<K>>();
  /** clusters ordered by id, rebuilt only when one is added: list calls are the hot path */
  private ordered: SimCluster<K>[] | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextInstanceId: number;
  private stopped = false;
  /** while true the whole Linode API answers 503 with X-Maintenance-Mode (clients must not retry those) */
  maintenanceMode = false;

  constructor(
    readonly clock: SimClock,
    readonly delays: SimDelays = DEFAULT_DELAYS,
    private readonly random: () => number = Math.random,
    firstInstanceId = 60_000_000,
  ) {
    this.nextInstanceId = firstInstanceId;
  }

  add(entry: NewCluster<K>): SimCluster<K> {
    const instanceLabels = new Map<string, string | null>();
    for (const { pool, instanceLabels: labels } of entry.pools) {
      pool.nodes.forEach((node, i) => instanceLabels.set(node.id, labels[i] ?? null));
    }
    for (const { pool } of entry.pools) {
      for (const node of pool.nodes) {
        if (node.instance_id !== null && node.instance_id >= this.nextInstanceId) this.nextInstanceId = node.instance_id + 1;
      }
    }
    let kube: K | undefined;
    const sim: SimCluster<K> = {
      cluster: entry.cluster,
      pools: entry.pools.map((p) => p.pool),
      get kube(): K { return (kube ??= entry.seedKube()); },
      get kubeSeeded(): boolean { return kube !== undefined; },
      instanceLabels,
      kubeconfigReady: true,
      kubeconfigNeverReady: false,
      kubeconfigGeneration: 0,
      staleKubeconfigToken: null,
      neverReadyNodes: new Set(),
      recycleQueue: [],
      recycling: null,
    };
    this.clusters.set(entry.cluster.id, sim);
    this.ordered = null;
    return sim;
  }

  cluster(id: number): SimCluster<K> | undefined {
    return this.clusters.get(id);
  }

  kube(id: number): K | undefined {
    return this.clusters.get(id)?.kube;
  }

  /** all clusters, ordered by id (the Linode API lists them that way) */
  list(): readonly SimCluster<K>[] {
    this.ordered ??= [...this.clusters.values()].sort((a, b) => a.cluster.id - b.cluster.id);
    return this.ordered;
  }

  get size(): number {
    return this.clusters.size;
  }

  findNode(clusterId: number, nodeIdOrName: string): SimNode | undefined {
    const sim = this.clusters.get(clusterId);
    if (!sim) return undefined;
    for (const pool of sim.pools) {
      for (const node of pool.nodes) {
        const instanceLabel = sim.instanceLabels.get(node.id) ?? null;
        if (node.id === nodeIdOrName || instanceLabel === nodeIdOrName) return { pool, node, instanceLabel };
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Regenerate

  /**
   * LKE regenerate: the kubeconfig is unavailable (503), or still the old one for staleKubeconfigMs, until
   * the kubeconfig delay has passed, and the
   * kube-system token Secrets are recreated after the token delay. Both flags rotate the lke-admin
   * token, because the kubeconfig carries that service account's token.
   */
  regenerate(clusterId: number, what: { kubeconfig: boolean; servicetoken: boolean }): void {
    const sim = this.require(clusterId);
    this.touch(sim);
    if (what.kubeconfig) {
      const served = this.delays.staleKubeconfigMs > 0
        ? sim.staleKubeconfigToken ?? (sim.kubeconfigReady ? sim.kube.adminToken() : null)
        : null;
      sim.kubeconfigReady = false;
      const generation = ++sim.kubeconfigGeneration;
      this.schedule(this.delays.kubeconfigReadyMs, () => {
        if (!sim.kubeconfigNeverReady && sim.kubeconfigGeneration === generation) sim.kubeconfigReady = true;
      });
      // LKE was seen serving the old kubeconfig for a while after a regenerate; the window restarts with each one
      if (this.delays.staleKubeconfigMs > 0 && served !== null) {
        sim.staleKubeconfigToken = served;
        this.schedule(this.delays.staleKubeconfigMs, () => {
          if (sim.kubeconfigGeneration === generation) sim.staleKubeconfigToken = null;
        });
      } else {
        // no window for this regenerate: an earlier one's stale kubeconfig must not outlive it (its
        // clearing timer belongs to the earlier generation and no longer fires)
        sim.staleKubeconfigToken = null;
      }
    }
    if (what.servicetoken || what.kubeconfig) {
      this.schedule(this.delays.tokenSecretsRecreateMs, () => { sim.kube.regenerateServiceTokens(); });
    }
  }

  setKubeconfigNeverReady(clusterId: number, neverReady: boolean): void {
    const sim = this.require(clusterId);
    sim.kubeconfigNeverReady = neverReady;
    if (neverReady) {
      sim.kubeconfigReady = false;
    } else {
      const generation = sim.kubeconfigGeneration;
      this.schedule(0, () => { if (sim.kubeconfigGeneration === generation) sim.kubeconfigReady = true; });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Recycle: one node at a time per cluster, like LKE's pool and cluster recycle.

  recycleNodes(clusterId: number, nodeIds: string[]): void {
    const sim = this.require(clusterId);
    this.touch(sim);
    for (const id of nodeIds) {
      if (sim.recycling !== id && !sim.recycleQueue.includes(id)) sim.recycleQueue.push(id);
    }
    this.recycleNext(sim);
  }

  /** true while a recycle is queued or in flight on this cluster */
  isRecycling(clusterId: number): boolean {
    const sim = this.require(clusterId);
    return sim.recycling !== null || sim.recycleQueue.length > 0;
  }

  /**
   * A node that never becomes Ready: its Kubernetes Node goes NotReady now (and its Linode status
   * not_ready), and replacements of it after a recycle never become Ready either.
   */
  setNodeNeverReady(clusterId: number, nodeIdOrName: string, neverReady = true): void {
    const sim = this.require(clusterId);
    const found = this.findNode(clusterId, nodeIdOrName);
    if (!found) throw new Error(`cluster ${clusterId} has no node ${nodeIdOrName}`);
    const { node, instanceLabel } = found;
    if (neverReady) sim.neverReadyNodes.add(node.id);
    else sim.neverReadyNodes.delete(node.id);
    if (instanceLabel === null || node.instance_id === null) return;
    if (neverReady) {
      node.status = 'not_ready';
      sim.kube.setNodeReady(instanceLabel, false);
    } else if (sim.recycling === node.id) {
      this.schedule(this.delays.nodeReadyMs, () => { this.finishRecycle(sim, node, instanceLabel); });
    } else {
      node.status = 'ready';
      sim.kube.setNodeReady(instanceLabel, true);
    }
  }

  /** Cancels all background work (timers, rollouts); the state stays readable. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const sim of this.clusters.values()) if (sim.kubeSeeded) sim.kube.stop?.();
  }

  private recycleNext(sim: SimCluster<K>): void {
    if (sim.recycling !== null || this.stopped) return;
    const nodeId = sim.recycleQueue.shift();
    if (nodeId === undefined) return;
    const found = this.findNode(sim.cluster.id, nodeId);
    if (!found) { this.recycleNext(sim); return; }
    sim.recycling = nodeId;
    const { pool, node, instanceLabel } = found;
    // LKE drains and deletes the old Linode first; the pool shows the node without an instance.
    if (instanceLabel !== null) sim.kube.removeNode(instanceLabel);
    node.instance_id = null;
    node.status = 'not_ready';
    sim.instanceLabels.set(node.id, null);
    this.schedule(this.delays.nodeRecycleMs, () => {
      const instanceId = this.nextInstanceId++;
      const label = `lke${sim.cluster.id}-${pool.id}-${randomHex(this.random, 12)}`;
      node.instance_id = instanceId;
      sim.instanceLabels.set(node.id, label);
      sim.kube.addNode({ name: label, providerID: `linode://${instanceId}` }, false);
      // A node that never becomes Ready stalls the recycle, as LKE waits for each replacement.
      if (sim.neverReadyNodes.has(node.id)) return;
      this.schedule(this.delays.nodeReadyMs, () => { this.finishRecycle(sim, node, label); });
    });
  }

  private finishRecycle(sim: SimCluster<K>, node: LkePoolNode, label: string): void {
    if (sim.neverReadyNodes.has(node.id) || sim.recycling !== node.id) return;
    node.status = 'ready';
    sim.kube.setNodeReady(label, true);
    sim.recycling = null;
    this.recycleNext(sim);
  }

  private touch(sim: SimCluster<K>): void {
    sim.cluster.updated = linodeTimestamp(new Date());
  }

  private require(clusterId: number): SimCluster<K> {
    const sim = this.clusters.get(clusterId);
    if (!sim) throw new Error(`no simulated cluster ${clusterId}`);
    return sim;
  }

  private schedule(simulatedMs: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = this.clock.after(simulatedMs, () => {
      this.timers.delete(timer);
      if (!this.stopped) fn();
    });
    this.timers.add(timer);
  }
}

/** lowercase hex of `length` digits, like the suffixes in LKE node ids and instance labels */
export function randomHex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** Linode timestamps are ISO 8601 without milliseconds or zone: `2025-01-31T12:34:56`. */
export function linodeTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19);
}
