// clusterRotation releases the worker's cached kubeconfigs of its cluster as it ends, on every
// ending (dry run, Completed, Rejected, Cancelled), and a failing release never changes how the
// rotation ended. On a real dev server with the in-memory fake cluster; records the replay fixture
// of the new path (RECORD_HISTORIES=1).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sendControl, startRotation } from '../client/index.js';
import { FakeCluster } from './support/fakeActivities.js';
import { recordFixture } from './support/histories.js';
import { rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitForPhase } = rotation;

const releases = (cluster: FakeCluster) => cluster.calls.filter((c) => c.name === 'releaseKubeconfigs');

describe('clusterRotation releases cached kubeconfigs as it ends', { concurrency: false }, () => {
  test('a dry run ends by releasing the cluster\'s kubeconfigs, once and last', async (t) => {
    const cluster = new FakeCluster(31);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { dryRun: true }), { taskQueue });
      assert.equal((await handle.result()).phase, 'Completed');
      assert.deepEqual(releases(cluster).map((c) => c.input), [{ clusterId: 31 }]);
      assert.equal(cluster.calls.at(-1)?.name, 'releaseKubeconfigs');
      recordFixture('dry-run-release', await handle.fetchHistory());
    });
  });

  test('a completed rotation, a rejected one and a cancelled one each release once', async (t) => {
    const completed = new FakeCluster(32);
    await withWorker(t, completed, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client,
        rotationInput(completed, { approvals: { beforeDelete: false, beforeRecycle: false } }), { taskQueue });
      assert.equal((await handle.result()).phase, 'Completed');
      assert.equal(releases(completed).length, 1);
      assert.equal(completed.calls.at(-1)?.name, 'releaseKubeconfigs');
    });

    const rejected = new FakeCluster(33);
    await withWorker(t, rejected, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(rejected), { taskQueue });
      await waitForPhase(33, 'AwaitingApproval');
      assert.equal(releases(rejected).length, 0, 'not while the rotation runs');
      await sendControl(rotation.client, 33, 'reject', { by: 'bob', reason: 'not today' });
      assert.equal((await handle.result()).phase, 'Rejected');
      assert.equal(releases(rejected).length, 1);
    });

    const cancelled = new FakeCluster(34);
    await withWorker(t, cancelled, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cancelled), { taskQueue });
      await waitForPhase(34, 'AwaitingApproval');
      await handle.cancel();
      assert.equal((await handle.result()).phase, 'Cancelled');
      assert.equal(releases(cancelled).length, 1);
    });
  });

  test('a release that fails leaves the outcome alone', async (t) => {
    const cluster = new FakeCluster(35);
    cluster.fail('releaseKubeconfigs', { times: Infinity, message: 'disk full' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { dryRun: true }), { taskQueue });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(releases(cluster).length, 2, 'retried as its policy says (two attempts in these tests), then given up');
    });
  });
});
