// The orchestration's own overhead: full cluster rotations (restart scope all, rolling recycle,
// gates off) against a simulator whose real-world waits are scaled to almost nothing, so what is
// left is Temporal round trips, activity scheduling and the clients' HTTP calls. Also the history
// size of a full rotation (the budget is 150 events).
import { pathToFileURL } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startRotation } from '../client/index.js';
import type { ClusterRotationWorkflowInput, RotationReport } from '../common/types.js';
import { startLocalStack } from '../dev/localStack.js';

const ROTATIONS = 5;

interface Sample { wallMs: number; historyEvents: number; workloads: number; nodes: number }

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function runRotationBench(): Promise<Record<string, number>> {
  const stack = await startLocalStack({
    // the orchestration's floor is measured; at this time scale the polls outpace Linode's real-time limits
    simulator: { clusters: ROTATIONS * 2, seed: 3, timeScale: 0.0001, rateLimit: false },
    activities: { pollIntervalMs: 10, tokenCacheWindowMs: 500, retryAfterScale: 0.001 },
  });
  try {
    const ids = stack.sim.state.list().map(({ cluster }) => cluster.id);
    const run = async (clusterId: number, full: boolean): Promise<Sample> => {
      const input: ClusterRotationWorkflowInput = {
        clusterId,
        requestedBy: 'bench',
        approvals: { beforeDelete: false, beforeRecycle: false, disabledBy: 'bench' },
        restart: { scope: full ? 'all' : 'none' },
        recycle: { mode: full ? 'rolling' : 'none' },
      };
      const t0 = performance.now();
      const { handle } = await startRotation(stack.client, input);
      const report = await handle.result() as RotationReport;
      const wallMs = performance.now() - t0;
      if (report.phase !== 'Completed') throw new Error(`cluster ${clusterId} ended ${report.phase}`);
      const history = await handle.fetchHistory();
      return { wallMs, historyEvents: history.events?.length ?? 0, workloads: report.restarted.length, nodes: report.recycled.length };
    };
    // one warm-up so webpack's bundle and the first connections are not counted
    await run(ids[0], false);
    const credentialsOnly: Sample[] = [];
    const full: Sample[] = [];
    for (let i = 1; i < ROTATIONS; i++) credentialsOnly.push(await run(ids[i], false));
    for (let i = ROTATIONS; i < ROTATIONS * 2; i++) full.push(await run(ids[i], true));
    return {
      credentialsOnlyWallMsMedian: Math.round(median(credentialsOnly.map((s) => s.wallMs))),
      credentialsOnlyHistoryEvents: Math.max(...credentialsOnly.map((s) => s.historyEvents)),
      fullRotationWallMsMedian: Math.round(median(full.map((s) => s.wallMs))),
      fullRotationHistoryEventsMax: Math.max(...full.map((s) => s.historyEvents)),
      fullRotationWorkloadsMedian: median(full.map((s) => s.workloads)),
      fullRotationNodesMedian: median(full.map((s) => s.nodes)),
    };
  } finally {
    await stack.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const figures = await runRotationBench();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name.padEnd(32)} ${value}\n`);
}
