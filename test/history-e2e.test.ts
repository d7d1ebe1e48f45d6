// The history of a full rotation of a 100-workload, 10-node cluster through the real clients: the
// live activities against the simulator (every workload restarted, every node cordoned, drained
// under its PodDisruptionBudgets and recycled) write no more events than a small cluster's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { asAdmin } from './support/gates.js';

let stack: LocalStack;

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 1, seed: 11, timeScale: 0.0005, rateLimit: false, appNamespaces: 1, workloadsPerCluster: 91, nodesPerCluster: 10 },
    activities: { pollIntervalMs: 20, tokenCacheWindowMs: 1_000, retryAfterScale: 0.01 },
  });
});

after(async () => {
  await stack?.stop();
});

test('a full rotation of 100 workloads and 10 nodes writes at most 80 history events (75 at any size)', async () => {
  const [clusterId] = stack.sim.state.list().map(({ cluster }) => cluster.id);
  const { handle } = await startRotation(stack.client, asAdmin({
    clusterId, requestedBy: 'alice',
    approvals: { beforeDelete: false, beforeRecycle: false },
    restart: { scope: 'all', maxConcurrent: 4 },
    recycle: { mode: 'rolling', drainTimeoutMs: 60_000 },
    tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 },
  }));
  const report = await handle.result() as RotationReport;
  assert.equal(report.phase, 'Completed', report.notDone.join('; '));
  assert.ok(report.restarted.length >= 100, `${report.restarted.length} workloads restarted`);
  assert.equal(report.recycled.length, 10);
  assert.ok(report.recycled.reduce((n, r) => n + (r.evicted ?? 0), 0) > 100, 'the drains evicted the pods');
  const events = (await handle.fetchHistory()).events?.length ?? 0;
  console.log(`history events of a full rotation through the real clients, ${report.restarted.length} workloads + 10 nodes: ${events}`);
  assert.ok(events <= 80, `${events} history events`);
});
