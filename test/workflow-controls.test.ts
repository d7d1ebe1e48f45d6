// clusterRotation on a real Temporal dev server with an in-memory fake cluster behind the activity
// contract. This file: the controls at the wrong and the right time, Blocked and retry, pause and resume.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getRotationStatus, sendControl, startRotation } from '../client/index.js';
import { FakeCluster } from './support/fakeActivities.js';
import { recordFixture } from './support/histories.js';
import { refused, rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitFor, waitForPhase } = rotation;

describe('clusterRotation: controls, Blocked, pause', { concurrency: false }, () => {
  test('wrong-time Updates are refused with a reason; skip where safe works', async (t) => {
    const cluster = new FakeCluster(4, 'c4', 'us-ord', { workloads: 2, nodes: 0 });
    cluster.fail('verifyRotation', { times: 1, nonRetryable: true, type: 'OldTokenStillAccepted', message: 'old admin token still accepted' });
    cluster.fail('restartWorkload', { times: 1, nonRetryable: true, type: 'DeploymentPaused', message: 'deployment is paused' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { recycle: { mode: 'none' } }), { taskQueue });
      await waitForPhase(4, 'AwaitingApproval');
      await refused(sendControl(rotation.client, 4, 'retry', {}), /only possible while the rotation is Blocked/);
      await refused(sendControl(rotation.client, 4, 'resume', {}), /not paused/);
      await refused(sendControl(rotation.client, 4, 'approve', {}), /needs 'by'/);
      await sendControl(rotation.client, 4, 'approve', { by: 'bob' });
      await refused(sendControl(rotation.client, 4, 'approve', { by: 'bob' }), /no approval is pending.*beforeDelete was approved by bob/);

      const blocked = await waitForPhase(4, 'Blocked');
      assert.equal(blocked.step, 'verify');
      assert.equal(blocked.lastError?.type, 'OldTokenStillAccepted');
      assert.match(blocked.lastError?.message ?? '', /old admin token still accepted/);
      await refused(sendControl(rotation.client, 4, 'skip', {}), /skipping verify is unsafe/);
      // inside the credential window a pause waits for delivery; resume cancels it
      const pending = await sendControl(rotation.client, 4, 'pause', {});
      assert.equal(pending.paused, false);
      assert.equal(pending.pausePending, true);
      await refused(sendControl(rotation.client, 4, 'pause', {}), /already pending/);
      await sendControl(rotation.client, 4, 'resume', {});
      const retried = await sendControl(rotation.client, 4, 'retry', { by: 'bob' });
      assert.notEqual(retried.phase, 'Blocked');

      const blockedRestart = await waitForPhase(4, 'Blocked');
      assert.equal(blockedRestart.step, 'restartWorkloads');
      await sendControl(rotation.client, 4, 'skip', { by: 'bob' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.deepEqual(report.skippedSteps, ['restartWorkloads']);
      assert.deepEqual(report.notDone, ['restartWorkloads: Deployment kube-system/w0 (skipped)']);
      assert.equal(report.restarted.length, 1);
      await refused(sendControl(rotation.client, 4, 'abort', { by: 'bob', reason: 'late' }), /already ended/);
    });
  });


  test('an activity that exhausts its retries blocks the rotation; retry completes it', async (t) => {
    const cluster = new FakeCluster(5, 'c5', 'us-ord', { workloads: 1, nodes: 1 });
    cluster.fail('regenerateCredentials', { times: 2, type: 'LinodeServerError', message: 'Linode answered 500' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client,
        rotationInput(cluster, { approvals: { beforeDelete: false, beforeRecycle: false } }), { taskQueue });
      const blocked = await waitForPhase(5, 'Blocked');
      assert.equal(blocked.step, 'regenerate');
      assert.equal(blocked.lastError?.type, 'LinodeServerError');
      assert.equal(cluster.count('regenerateCredentials'), 2, 'both attempts of the retry policy ran');
      await sendControl(rotation.client, 5, 'retry', { by: 'ops' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('regenerateCredentials'), 3);
      assert.equal(cluster.count('deleteTokenSecrets'), 1);
    });
  });


  test('pause holds the rotation between steps; resume continues', async (t) => {
    const cluster = new FakeCluster(8, 'c8', 'us-ord', { workloads: 1, nodes: 0 });
    const held = cluster.hold('snapshotCluster');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await held.entered;
      const paused = await sendControl(rotation.client, 8, 'pause', { by: 'ops' });
      assert.equal(paused.paused, true);
      held.release();
      await waitFor(8, (s) => s.completedSteps.includes('snapshot'), 'snapshot done');
      await new Promise((r) => setTimeout(r, 500));
      const status = await getRotationStatus(rotation.client, 8);
      assert.equal(status.paused, true);
      assert.equal(cluster.count('deleteTokenSecrets'), 0, 'paused before the next step');
      await sendControl(rotation.client, 8, 'resume', { by: 'ops' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.ok(report.timeline.some((t) => t.event === 'paused') && report.timeline.some((t) => t.event === 'resumed'));
    });
  });

  test('the credential window: a pause waits for delivery, a superseded kubeconfig is awaited again, a Blocked step retries on its own', async (t) => {
    const cluster = new FakeCluster(9, 'c9', 'us-ord', { workloads: 1, nodes: 0 });
    const held = cluster.hold('awaitKubeconfig');
    cluster.fail('verifyRotation', { times: 1, nonRetryable: true, type: 'KubeconfigRevoked', message: 'the new kubeconfig is rejected (401)' });
    cluster.fail('deliverKubeconfig', { times: 1, nonRetryable: true, type: 'SinkWriteFailed', message: 'disk full' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, {
        approvals: { beforeDelete: false }, recycle: { mode: 'none' },
        tuning: { activityRetryInitialIntervalMs: 50, activityRetryMaximumIntervalMs: 100, activityMaximumAttempts: 2, windowRetryScale: 0.005 },
      }), { taskQueue });
      await held.entered;
      const pending = await sendControl(rotation.client, 9, 'pause', { by: 'ops' });
      assert.deepEqual([pending.paused, pending.pausePending], [false, true]);
      held.release();
      const paused = await waitFor(9, (s) => s.paused, 'paused after delivery');
      assert.ok(paused.completedSteps.includes('deliverKubeconfig'));
      assert.equal(cluster.count('awaitKubeconfig'), 2, 'the superseded kubeconfig was awaited again');
      assert.equal(cluster.count('deliverKubeconfig'), 2, 'the Blocked delivery was retried without a human');
      assert.equal(cluster.count('restartWorkload'), 0, 'the pause holds after delivery');
      await sendControl(rotation.client, 9, 'resume', { by: 'ops' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      const events = report.timeline.map((e) => e.event);
      for (const event of ['pause pending', 'roll forward: await a fresh kubeconfig', 'retrying automatically', 'paused']) {
        assert.ok(events.includes(event), `${event} in ${events.join(', ')}`);
      }
      recordFixture('credential-window', await handle.fetchHistory());
    });
  });
});
