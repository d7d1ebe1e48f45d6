// clusterRotation's batched restarts and recycles on a real Temporal dev server with the in-memory
// fake cluster: history constant in cluster size, one Blocked item skipped alone, a pause that
// stops a batch between items and a resume that repeats nothing, a paused Deployment reported.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sendControl, startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { FakeCluster } from './support/fakeActivities.js';
import { recordFixture } from './support/histories.js';
import { rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitForPhase } = rotation;

const GATES_OFF = { approvals: { beforeDelete: false, beforeRecycle: false } };

async function fullRotationEvents(t: Parameters<typeof withWorker>[0], clusterId: number, workloads: number, nodes: number) {
  const cluster = new FakeCluster(clusterId, `c${clusterId}`, 'us-ord', { workloads, nodes });
  return await withWorker(t, cluster, async (taskQueue) => {
    const { handle } = await startRotation(rotation.client, rotationInput(cluster, GATES_OFF), { taskQueue });
    const report: RotationReport = await handle.result();
    assert.equal(report.phase, 'Completed');
    assert.equal(report.restarted.length, workloads);
    assert.equal(report.recycled.length, nodes);
    assert.equal(cluster.count('restartWorkload'), workloads, 'each workload restarted once');
    assert.equal(cluster.count('recycleNode'), nodes, 'each node recycled once');
    const history = await handle.fetchHistory();
    if (workloads === 3) recordFixture('batched-rotation', history);
    const types = new Map<string, number>();
    for (const e of history.events ?? []) types.set(String(e.eventType), (types.get(String(e.eventType)) ?? 0) + 1);
    return { events: history.events?.length ?? 0, types };
  });
}

describe('clusterRotation: batched restarts and recycles', { concurrency: false }, () => {
  test('history is constant in cluster size: 3 workloads + 1 node and 100 + 10 write the same events, at most 80', async (t) => {
    const small = await fullRotationEvents(t, 61, 3, 1);
    const large = await fullRotationEvents(t, 62, 100, 10);
    console.log(`history events of a full rotation, gates off: 3+1 -> ${small.events}, 100+10 -> ${large.events}`,
      JSON.stringify(Object.fromEntries(large.types)));
    assert.equal(large.events, small.events, 'no event per workload or node');
    assert.ok(large.events <= 80, `history has ${large.events} events`);
  });

  test('the recycle gate shows each node\'s drain preview; approved, the batch drains and recycles', async (t) => {
    const cluster = new FakeCluster(65, 'c65', 'us-ord', { workloads: 2, nodes: 2 });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      const gate = await waitForPhase(65, 'AwaitingRecycleApproval');
      assert.deepEqual(gate.plan?.drain?.map((d) => d.nodeId), cluster.poolNodes.map((n) => n.nodeId));
      assert.equal(cluster.count('previewDrain'), 1);
      assert.equal(cluster.count('recycleNode'), 0, 'nothing recycled before the gate');
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /each cordoned and drained first/);
      await sendControl(rotation.client, 65, 'approve', { by: 'carol' });
      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(report.recycled.length, 2);
      recordFixture('batched-rotation-gated', await handle.fetchHistory());
    });
  });

  test('a Blocked workload is skipped alone; the batch goes on with the others', async (t) => {
    const cluster = new FakeCluster(63, 'c63', 'us-ord', { workloads: 3, nodes: 1 });
    // the first restart call (w0) fails for good: its batch is Blocked on it
    cluster.fail('restartWorkload', { times: 1, nonRetryable: true, type: 'RolloutFailed', message: 'Deployment kube-system/w0 exceeded its progress deadline' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, GATES_OFF), { taskQueue });
      const blocked = await waitForPhase(63, 'Blocked');
      assert.equal(blocked.step, 'restartWorkloads');
      assert.equal(blocked.lastError?.item, 'Deployment kube-system/w0');
      await sendControl(rotation.client, 63, 'skip', { by: 'bob' });
      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.deepEqual(report.restarted.map((r) => r.workload.name), ['w1', 'w2']);
      assert.deepEqual(report.notDone, ['restartWorkloads: Deployment kube-system/w0 (skipped)']);
      assert.equal(report.recycled.length, 1, 'the recycles still ran');
    });
  });

  test('a pause stops a batch between workloads; resume finishes it without restarting any workload twice', async (t) => {
    const cluster = new FakeCluster(64, 'c64', 'us-ord', { workloads: 3, nodes: 1 });
    const held = cluster.hold('restartWorkload');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, GATES_OFF), { taskQueue });
      await held.entered;
      const paused = await sendControl(rotation.client, 64, 'pause', { by: 'bob' });
      assert.equal(paused.paused, true);
      held.release();
      // the batch answers with the one it finished, then the run waits
      let status = await waitForPhase(64, 'RestartingWorkloads');
      for (let i = 0; i < 100 && status.progress.workloadsRestarted < 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await waitForPhase(64, 'RestartingWorkloads');
      }
      assert.equal(status.progress.workloadsRestarted, 1);
      assert.equal(status.paused, true);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(cluster.count('restartWorkload'), 1, 'nothing more restarts while paused');
      await sendControl(rotation.client, 64, 'resume', { by: 'bob' });
      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('restartWorkload'), 3, 'each workload once');
      assert.equal(report.restarted.length, 3);
    });
  });
});
