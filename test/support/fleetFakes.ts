// Fakes for the fleet tests: a Linode API with a paged cluster list, in memory, and the stand-in
// child rotation's one activity (test/support/fleetStubWorkflows.ts), which the tests time, fail and
// block per cluster.
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { KubeconfigFetch, KubePortFactory, ListClustersOptions, LinodePort } from '../../activities/ports.js';
import type { SnapshotInput } from '../../common/activities.js';
import type { ClusterSnapshot, LinodePage, LkeCluster, StageHealthInput, StageHealthResult } from '../../common/types.js';

// ---- A Linode API with a paged cluster list, in memory.

export function lkeCluster(id: number, tags: string[], region = 'us-iad'): LkeCluster {
  return {
    id, label: `lke-${id}`, region, k8s_version: '1.31', status: 'ready', tier: 'standard', tags,
    control_plane: { high_availability: false }, created: '2026-01-01T00:00:00', updated: '2026-01-01T00:00:00',
  };
}

export class FakeLinode implements Pick<LinodePort, 'listClusters' | 'getKubeconfig'> {
  clusters: LkeCluster[] = [];
  requests: ListClustersOptions[] = [];
  add(tag: string, ids: number[], region?: string): void {
    for (const id of ids) this.clusters.push(lkeCluster(id, [tag], region));
  }
  async listClusters(options: ListClustersOptions = {}): Promise<LinodePage<LkeCluster>> {
    this.requests.push(options);
    const page = options.page ?? 1;
    const size = options.pageSize ?? 100;
    const pages = Math.max(1, Math.ceil(this.clusters.length / size));
    return { data: this.clusters.slice((page - 1) * size, page * size), page, pages, results: this.clusters.length };
  }
  /** the fleet tests check stage health with FakeStageHealth instead: a call here is a mistake */
  async getKubeconfig(clusterId: number): Promise<KubeconfigFetch> {
    throw new Error(`FakeLinode has no kubeconfig of cluster ${clusterId}: use FakeStageHealth`);
  }
}

/** The fleet tests' Kubernetes: none (FakeStageHealth stands in for the soak's health check). */
export const noKube: KubePortFactory = () => {
  throw new Error('the fleet fakes have no Kubernetes API: use FakeStageHealth');
};

// ---- The soak's health check: findings scripted per cluster, and every check recorded.

export class FakeStageHealth {
  /** cluster id -> the reason its checks report from now on */
  findings = new Map<number, string>();
  /** every check: the stage and the clusters looked at, and whether a baseline was passed */
  checks: { stage: string; clusterIds: number[]; withBaseline: boolean }[] = [];
  reset(): void {
    this.findings.clear();
    this.checks = [];
  }
  checksOf(stage: string): number {
    return this.checks.filter((check) => check.stage === stage).length;
  }
  checkStageHealth = async (input: StageHealthInput): Promise<StageHealthResult> => {
    this.checks.push({ stage: input.stage, clusterIds: input.clusters.map((c) => c.clusterId), withBaseline: !!input.baseline });
    const at = new Date().toISOString();
    return {
      ...(input.baseline ? {} : { baseline: input.clusters.map((c) => ({ clusterId: c.clusterId, workloads: [] })) }),
      findings: input.clusters.flatMap((c) => {
        const reason = this.findings.get(c.clusterId);
        return reason ? [{ clusterId: c.clusterId, reason, at }] : [];
      }),
    };
  };
}

// ---- The stand-in child's one activity: how long each cluster's rotation takes, whether it fails.

export interface Behaviour { ms?: number; fail?: boolean; until?: Promise<void> }

export class FakeRotationWork {
  behaviour = new Map<number, Behaviour>();
  calls = new Map<number, number>();
  running = 0;
  maxRunning = 0;
  reset(): void {
    this.behaviour.clear();
    this.running = 0;
    this.maxRunning = 0;
  }
  callsFor(ids: number[]): number {
    return ids.reduce((sum, id) => sum + (this.calls.get(id) ?? 0), 0);
  }
  snapshotCluster = async ({ clusterId }: SnapshotInput): Promise<ClusterSnapshot> => {
    this.calls.set(clusterId, (this.calls.get(clusterId) ?? 0) + 1);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const behaviour = this.behaviour.get(clusterId) ?? {};
    try {
      await delay(behaviour.ms ?? 30);
      await behaviour.until;
      if (behaviour.fail) throw ApplicationFailure.nonRetryable(`injected failure on cluster ${clusterId}`, 'Injected');
    } finally {
      this.running--;
    }
    return {
      clusterId, label: `lke-${clusterId}`, region: 'us-iad', k8sVersion: '1.31', tier: 'standard', highAvailability: false,
      takenAt: new Date().toISOString(), adminTokenFingerprint: null, tokenSecrets: [], nodes: [], poolNodes: [], workloads: [],
    };
  };
}

export const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** Polls `probe` until it returns something truthy. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}
