// clusterRotation on a real Temporal dev server with an in-memory fake cluster behind the activity
// contract. This file: stopping (cancel, abort) before, inside and after the credential window, the
// roll-forward compensation, and resuming a run that ended early.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getRotationStatus, readProgress, resumeRotation, sendControl, startRotation } from '../client/index.js';
import { FakeCluster } from './support/fakeActivities.js';
import { historyText, recordFixture } from './support/histories.js';
import { assertNoSecrets, destructiveCalls, refused, rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitFor, waitForPhase } = rotation;

describe('clusterRotation: stop, compensation, resume', { concurrency: false }, () => {
  test('cancellation at the gate: Cancelled, nothing changed', async (t) => {
    const cluster = new FakeCluster(11);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster), { taskQueue });
      await waitForPhase(11, 'AwaitingApproval');
      await handle.cancel();
      const report = await handle.result();
      assert.equal(report.phase, 'Cancelled');
      assert.equal(destructiveCalls(cluster), 0);
      assert.equal(report.notDone[0], 'deleteTokens');
    });
  });


  test('cancellation during the snapshot, without a gate: Cancelled, nothing changed, no compensation', async (t) => {
    const cluster = new FakeCluster(16);
    const held = cluster.hold('snapshotCluster');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await held.entered;
      await handle.cancel();
      await waitFor(16, (s) => s.timeline.some((e) => e.event === 'cancellation requested'), 'cancel seen');
      held.release();
      const report = await handle.result();
      assert.equal(report.phase, 'Cancelled');
      assert.equal(destructiveCalls(cluster), 0);
      assert.ok(!report.timeline.some((e) => e.phase === 'Compensating'));
    });
  });


  test('abort while Blocked after the deletes rolls forward to working credentials', async (t) => {
    const cluster = new FakeCluster(6, 'c6', 'us-ord', { workloads: 2, nodes: 1 });
    const original = cluster.adminFingerprint;
    // fails in the run and once more in the compensation, which then blocks until a retry
    cluster.fail('awaitKubeconfig', { times: 2, nonRetryable: true, type: 'KubeconfigNotReady', message: 'kubeconfig is not yet available' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      const blocked = await waitForPhase(6, 'Blocked');
      assert.equal(blocked.step, 'awaitKubeconfig');
      await refused(sendControl(rotation.client, 6, 'skip', {}), /skipping awaitKubeconfig is unsafe/);
      const aborted = await sendControl(rotation.client, 6, 'abort', { by: 'ops', reason: 'maintenance window over' });
      assert.ok(['Compensating', 'Regenerating', 'AwaitingKubeconfig', 'Blocked'].includes(aborted.phase), aborted.phase);

      await waitFor(6, (s) => s.phase === 'Blocked' && cluster.count('awaitKubeconfig') === 2, 'compensation blocked');
      await refused(sendControl(rotation.client, 6, 'abort', { by: 'ops', reason: 'again' }), /already compensating/);
      await refused(sendControl(rotation.client, 6, 'pause', {}), /cannot pause while compensating/);
      await sendControl(rotation.client, 6, 'retry', { by: 'ops' });

      const report = await handle.result();
      assert.equal(report.phase, 'Cancelled');
      assert.equal(cluster.count('regenerateCredentials'), 2, 'compensation asks Linode to regenerate again');
      assert.equal(cluster.count('awaitKubeconfig'), 3);
      assert.equal(cluster.count('verifyRotation'), 1);
      assert.equal(cluster.count('deliverKubeconfig'), 1);
      assert.equal(cluster.count('restartWorkload'), 0);
      assert.equal(cluster.count('recycleNode'), 0);
      assert.notEqual(cluster.adminFingerprint, original, 'never restores the old credentials');
      assert.equal(cluster.deliveredFingerprint, cluster.adminFingerprint, 'working credentials delivered');
      assert.ok(report.timeline.some((e) => e.phase === 'Compensating'));
      assert.equal(report.notDone.filter((n) => n.startsWith('restartWorkloads')).length, 2);
      const history = await handle.fetchHistory();
      assertNoSecrets(historyText(history), cluster);
      recordFixture('abort-compensation', history);
    });
  });


  test('cancellation during verify still delivers the new kubeconfig, then stops', async (t) => {
    const cluster = new FakeCluster(17, 'c17', 'us-ord', { workloads: 2, nodes: 0 });
    const held = cluster.hold('verifyRotation');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await held.entered;
      await handle.cancel();
      await waitFor(17, (s) => s.timeline.some((e) => e.event === 'cancellation requested'), 'cancel seen');
      held.release();
      const report = await handle.result();
      assert.equal(report.phase, 'Cancelled');
      assert.equal(cluster.count('regenerateCredentials'), 1, 'verify passed: nothing to regenerate again');
      assert.equal(cluster.deliveredFingerprint, cluster.adminFingerprint);
      assert.equal(cluster.count('restartWorkload'), 0);
      assert.equal(report.notDone.length, 2);
    });
  });


  test('cancellation during restarts lets the one in flight settle and reports what was not done', async (t) => {
    const cluster = new FakeCluster(7, 'c7', 'us-ord', { workloads: 3, nodes: 2 });
    const held = cluster.hold('restartWorkload');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await held.entered;
      await handle.cancel();
      await new Promise((r) => setTimeout(r, 300));
      held.release();
      const report = await handle.result();
      assert.equal(report.phase, 'Cancelled');
      assert.equal(cluster.count('restartWorkload'), 1);
      assert.equal(report.restarted.length, 1, 'the restart in flight finished and is reported');
      assert.equal(cluster.count('recycleNode'), 0);
      assert.deepEqual(report.notDone, [
        'restartWorkloads: StatefulSet apps/w1', 'restartWorkloads: DaemonSet apps/w2',
        'recycleNodes: node 7-a0 (pool 7, instance 100)', 'recycleNodes: node 7-a1 (pool 7, instance 101)',
      ]);
      assert.equal(cluster.count('regenerateCredentials'), 1, 'no compensation after verify');

      // A cancelled rotation can be resumed: it picks up the remaining restarts, repeats nothing.
      const resumed = await resumeRotation(rotation.client, 7, { resumedBy: 'erin', taskQueue });
      await waitForPhase(7, 'AwaitingRecycleApproval');
      await sendControl(rotation.client, 7, 'approve', { by: 'bob' });
      const final = await resumed.handle.result();
      assert.equal(final.phase, 'Completed');
      assert.equal(cluster.count('restartWorkload'), 3);
      assert.equal(cluster.count('deleteTokenSecrets'), 1);
      assert.equal(cluster.count('recycleNode'), 2);
      assert.equal(final.restarted.length, 3);
    });
  });


  test('a terminated run is resumed by a new run that repeats no delete and keeps the approval', async (t) => {
    const cluster = new FakeCluster(10, 'c10', 'us-ord', { workloads: 2, nodes: 1 });
    const held = cluster.hold('awaitKubeconfig');
    await withWorker(t, cluster, async (taskQueue) => {
      const first = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeRecycle: false } }), { taskQueue });
      await waitForPhase(10, 'AwaitingApproval');
      await sendControl(rotation.client, 10, 'approve', { by: 'bob' });
      await held.entered;
      await first.handle.terminate('worker host lost');
      held.release();

      await assert.rejects(resumeRotation(rotation.client, 999, { resumedBy: 'x' }));
      const second = await resumeRotation(rotation.client, 10, { resumedBy: 'dave', taskQueue });
      const report = await second.handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('snapshotCluster'), 1, 'the old snapshot is reused');
      assert.equal(cluster.count('deleteTokenSecrets'), 1, 'no delete repeated');
      assert.equal(cluster.count('regenerateCredentials'), 1, 'no regenerate repeated');
      assert.equal(cluster.count('awaitKubeconfig'), 2, 'the interrupted wait runs again');
      assert.equal(cluster.count('restartWorkload'), 2);
      assert.equal(cluster.count('recycleNode'), 1);
      assert.equal(cluster.deliveredFingerprint, cluster.adminFingerprint);
      const status = await getRotationStatus(rotation.client, 10);
      assert.deepEqual(status.approvals.map((a) => a.by), ['bob']);
      assert.equal(status.timeline[0]?.detail, `resumed from run ${first.runId} by dave`);
      assert.deepEqual([status.requestedBy, status.resumedBy], ['alice', 'dave'], 'the original requester stays; who resumed is recorded');
      const progress = await readProgress(rotation.client, first.workflowId, first.runId);
      assert.deepEqual(progress.resume.completedSteps, ['snapshot', 'approval', 'deleteTokens', 'regenerate']);

      await assert.rejects(resumeRotation(rotation.client, 10, { resumedBy: 'dave', taskQueue }), /ended Completed: nothing to resume/);
      const history = await second.handle.fetchHistory();
      assertNoSecrets(historyText(history), cluster);
      recordFixture('resumed-rotation', history);
    });
  });
});
