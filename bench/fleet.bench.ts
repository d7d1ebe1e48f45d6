// Fleet rotation at scale: N simulated clusters (default 1000) rotated by one fleetRotation with real
// clusterRotation children and the live activities, at each concurrency (default 50 and 200), with
// the simulator's waits scaled to almost nothing. Reports the wall time against the floor
// (ceil(N / concurrency) x one cluster's wall time), the largest history of any run, and the memory
// of the process that runs the worker (it also holds the simulator). The status endpoint under load
// is bench/status.bench.ts. BENCH_FLEET_CLUSTERS and BENCH_FLEET_CONCURRENCY (comma list) override.
import { pathToFileURL } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startRotation } from '../client/index.js';
import { getFleetStatus, startFleetRotation } from '../client/index.js';
import { FLEET_END_PHASES, type FleetClusterOptions, type FleetStatus, type RotationReport } from '../common/types.js';
import { startDevServer } from '../dev/devServer.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';

const CLUSTERS = Number(process.env.BENCH_FLEET_CLUSTERS ?? 1000);
const CONCURRENCIES = (process.env.BENCH_FLEET_CONCURRENCY ?? '50,200').split(',').map(Number);
const ROTATION: FleetClusterOptions = { restart: { scope: 'none' }, recycle: { mode: 'none' } };

async function largestHistory(stack: LocalStack, fleetWorkflowId: string): Promise<{ fleet: number; child: number }> {
  let fleet = 0;
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = "${fleetWorkflowId}"` })) {
    const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    fleet = Math.max(fleet, history.events?.length ?? 0);
  }
  // children are alike: the history length of a sample stands for all of them
  let child = 0;
  let sampled = 0;
  for await (const run of stack.client.workflow.list({ query: `FleetRotationId = "${fleetWorkflowId}" AND WorkflowType = "clusterRotation"` })) {
    const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    child = Math.max(child, history.events?.length ?? 0);
    if (++sampled >= 20) break;
  }
  return { fleet, child };
}

async function oneFleet(concurrency: number): Promise<Record<string, number>> {
  const server = await startDevServer();
  const stack = await startLocalStack({
    server,
    // the orchestration's floor is measured; at this time scale the polls outpace Linode's real-time limits
    simulator: { clusters: CLUSTERS + 1, seed: 5, timeScale: 0.0001, rateLimit: false },
    activities: { pollIntervalMs: 20, tokenCacheWindowMs: 200, retryAfterScale: 0.001 },
    workerOptions: { maxConcurrentActivityTaskExecutions: Math.max(100, concurrency * 2), maxConcurrentWorkflowTaskExecutions: 100 },
  });
  try {
    const ids = stack.sim.state.list().map(({ cluster }) => cluster.id);
    // one cluster alone, after a warm-up, is the unit of the floor
    const single = async (clusterId: number) => {
      const t0 = performance.now();
      const { handle } = await startRotation(stack.client, { clusterId, requestedBy: 'bench', approvals: { beforeDelete: false, disabledBy: 'bench' }, ...ROTATION });
      const report = await handle.result() as RotationReport;
      if (report.phase !== 'Completed') throw new Error(`cluster ${clusterId} ended ${report.phase}`);
      return performance.now() - t0;
    };
    await single(ids[0]);
    const singleMs = await single(ids[0]);

    let peakRss = 0;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
    const name = `bench-${concurrency}`;
    const t0 = performance.now();
    const { workflowId } = await startFleetRotation(stack.client, {
      name,
      requestedBy: 'bench',
      selector: { clusterIds: ids.slice(1) },
      rotation: ROTATION,
      waves: { canary: 0 },
      // a benchmark has no second person: gates off, recorded as switched off by an admin
      gatesDisabledBy: 'bench',
      concurrency,
      errorBudget: { percent: 100 },
    });
    let status: FleetStatus | null = null;
    for (;;) {
      status = await getFleetStatus(stack.client, workflowId);
      if (status && FLEET_END_PHASES.includes(status.phase)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    const floorMs = Math.ceil(CLUSTERS / concurrency) * singleMs;
    const histories = await largestHistory(stack, workflowId);
    return {
      clusters: CLUSTERS,
      concurrency,
      completed: status.counts.Completed,
      fleetRuns: status.runs,
      oneClusterMs: Math.round(singleMs),
      wallMs: Math.round(wallMs),
      floorMs: Math.round(floorMs),
      wallOverFloor: Math.round((wallMs / floorMs) * 100) / 100,
      largestFleetHistory: histories.fleet,
      largestChildHistory: histories.child,
      workerProcessPeakRssMb: Math.round(peakRss / 1048576),
    };
  } finally {
    await stack.stop();
    await server.stop();
  }
}

export async function runFleetBench(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const concurrency of CONCURRENCIES) {
    for (const [name, value] of Object.entries(await oneFleet(concurrency))) figures[`c${concurrency}.${name}`] = value;
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const figures = await runFleetBench();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name.padEnd(34)} ${value}\n`);
}
