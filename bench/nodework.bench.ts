// History events and wall time of a full rotation (restart scope all, rolling recycle with drains,
// gates off) as the cluster grows: about 10 workloads + 1 node, 100 + 10 and 300 + 30, against a
// simulator whose waits are scaled to almost nothing. The batched restarts and recycles keep the
// history flat (the goal: at most 80 events at 100 + 10, the same at every size).
import { startRotation } from '../client/index.js';
import type { ClusterRotationWorkflowInput, RotationReport } from '../common/types.js';
import { startLocalStack } from '../dev/localStack.js';

// A one-node cluster cannot drain under budgets (an evicted pod's replacement has no other node to
// go to: the drain is Blocked by design), so the smallest size runs without them.
const SIZES = [
  { workloads: 10, nodes: 1, pdbs: false },
  { workloads: 100, nodes: 10, pdbs: true },
  { workloads: 300, nodes: 30, pdbs: true },
];

async function oneRotation(size: { workloads: number; nodes: number; pdbs: boolean }) {
  const stack = await startLocalStack({
    simulator: {
      clusters: 1, seed: 11, timeScale: 0.0001, rateLimit: false, appNamespaces: 1,
      workloadsPerCluster: size.workloads, nodesPerCluster: size.nodes, pdbs: size.pdbs,
    },
    activities: { pollIntervalMs: 10, tokenCacheWindowMs: 500, retryAfterScale: 0.001 },
  });
  try {
    const [clusterId] = stack.sim.state.list().map(({ cluster }) => cluster.id);
    const input: ClusterRotationWorkflowInput = {
      clusterId, requestedBy: 'bench',
      approvals: { beforeDelete: false, beforeRecycle: false, disabledBy: 'bench' },
      restart: { scope: 'all', maxConcurrent: 4 },
      // a drain that cannot finish fails the bench in a minute instead of waiting the 10-minute default
      recycle: { mode: 'rolling', drainTimeoutMs: 60_000 },
    };
    const t0 = performance.now();
    const { handle } = await startRotation(stack.client, input);
    const report = await handle.result() as RotationReport;
    const wallMs = Math.round(performance.now() - t0);
    if (report.phase !== 'Completed') throw new Error(`the rotation ended ${report.phase}: ${report.notDone.join('; ')}`);
    const history = await handle.fetchHistory();
    const evicted = report.recycled.reduce((sum, r) => sum + (r.evicted ?? 0), 0);
    return { events: history.events?.length ?? 0, wallMs, workloads: report.restarted.length, nodes: report.recycled.length, evicted };
  } finally {
    await stack.stop();
  }
}

export async function runNodeWorkBench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const size of SIZES) {
    const r = await oneRotation(size);
    const name = `${r.workloads}w+${r.nodes}n`;
    figures[`${name} historyEvents`] = r.events;
    figures[`${name} wallMs`] = r.wallMs;
    figures[`${name} podsEvicted`] = r.evicted;
  }
  return figures;
}
