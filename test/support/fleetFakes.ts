// Fakes for the fleet tests: a Linode API with a paged cluster list, in memory, and the stand-in
// child rotation's one activity (test/support/fleetStubWorkflows.ts), which the tests time, fail and
// block per cluster.
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { ListClustersOptions, LinodePort } from '../../activities/ports.js';
import type { SnapshotInput } from '../../common/activities.js';
import type { ClusterSnapshot, LinodePage, LkeCluster } from '../../common/types.js';

// ---- A Linode API with a paged cluster list, in memory.

export function lkeCluster(id: number, tags: string[], region = 'us-iad'): LkeCluster {
  return {
    id, label: `lke-${id}`, region, k8s_version: '1.31', status: 'ready', tier: 'standard', tags,
    control_plane: { high_availability: false }, created: '2026-01-01T00:00:00', updated: '2026-01-01T00:00:00',
  };
}

export class FakeLinode implements Pick<LinodePort, 'listClusters'> {
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
