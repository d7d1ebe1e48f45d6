// The workload steps against in-memory fakes of their ports (test/support/activityHarness.ts):
// restarts and node recycles run twice, resumed from heartbeats, and the rollout rules they wait on.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FailureType } from '../common/failures.js';
import { rolloutStatus } from '../activities/rollout.js';
import type { DeploymentState, WorkloadState } from '../activities/ports.js';
import type { WorkloadRef } from '../common/types.js';
import { rejection } from './support/failures.js';
import { CLUSTER_ID, harness } from './support/activityHarness.js';

describe('restartWorkload', () => {
  const web: WorkloadRef = { kind: 'Deployment', namespace: 'app', name: 'web' };
  const restartedAt = '2026-11-29T10:00:00Z';

  test('patches once and waits for rollout done; a second run does not patch again', async () => {
    const h = await harness();
    const first = await h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(first, { workload: web, patched: true });
    const state = h.lke.workloads.get('Deployment/app/web') as DeploymentState;
    assert.equal(state.restartedAt, restartedAt);
    assert.equal(state.observedGeneration, 2);
    assert.equal(state.updatedReplicas, 2);
    const second = await h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(second, { workload: web, patched: false });
    assert.equal(h.lke.calls.filter((c) => c === 'patch web').length, 1);
    await h.cleanup();
  });

  test('a retried attempt that had patched reports patched from its heartbeat', async () => {
    const h = await harness();
    (h.lke.workloads.get('Deployment/app/web') as DeploymentState).restartedAt = restartedAt;
    const result = await h.env({ attempts: 3, patched: true }).run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(result, { workload: web, patched: true });
    assert.equal(h.lke.calls.filter((c) => c.startsWith('patch')).length, 0);
    await h.cleanup();
  });

  test('a paused Deployment and a rollout past its deadline fail non-retryably', async () => {
    const h = await harness();
    const state = h.lke.workloads.get('Deployment/app/web') as DeploymentState;
    state.paused = true;
    const paused = await rejection(h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt }));
    assert.equal(paused.type, FailureType.deploymentPaused);
    assert.equal(paused.nonRetryable, true);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('patch')).length, 0);

    state.paused = false;
    state.restartedAt = restartedAt;
    state.progressDeadlineExceeded = true;
    const stuck = await rejection(h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt }));
    assert.equal(stuck.type, FailureType.rolloutFailed);
    assert.equal(stuck.nonRetryable, true);
    await h.cleanup();
  });
});

describe('recycleNode', () => {
  test('recycles once, waits for a Ready replacement, and a second run skips', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[0];
    const result = await h.env().run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.equal(result.oldInstanceId, 1000);
    assert.equal(result.newInstanceId, 9000);
    assert.ok(h.lke.nodes.some((n) => n.providerID === 'linode://9000' && n.ready));
    const again = await h.env().run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.deepEqual(again, { nodeId: node.nodeId, oldInstanceId: 1000, newInstanceId: 9000, skipped: true });
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });

  test('a retry after the recycle was sent waits without sending it again', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[1];
    await h.deps.linode.recycleNode(CLUSTER_ID, node.nodeId); // the earlier attempt's POST
    const result = await h.env({ attempts: 2, recycle: 'sent', sentAt: Date.now() }).run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.notEqual(result.newInstanceId, node.instanceId);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });

  test('a recycle whose POST outcome is unknown is sent again only once the node has not moved for a while', async () => {
    const h = await harness({ recycleResendAfterMs: 30, pollIntervalMs: 5 });
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[2];
    const result = await h.env({ attempts: 1, recycle: 'sending', sentAt: Date.now() }).run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });
});

describe('rollout status', () => {
  const base = { namespace: 'ns', name: 'w', generation: 2, observedGeneration: 2, restartedAt: null };
  test('Deployment, StatefulSet and DaemonSet follow kubectl rollout status', () => {
    const deployment: DeploymentState = {
      ...base, kind: 'Deployment', paused: false, specReplicas: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 3,
      progressDeadlineExceeded: false,
    };
    assert.equal(rolloutStatus(deployment).state, 'done');
    assert.equal(rolloutStatus({ ...deployment, observedGeneration: 1 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, replicas: 4 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, availableReplicas: 2 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, progressDeadlineExceeded: true }).state, 'failed');
    const sts: WorkloadState = {
      ...base, kind: 'StatefulSet', updateStrategy: 'RollingUpdate', partition: 1, specReplicas: 3, readyReplicas: 3, updatedReplicas: 2,
    };
    assert.equal(rolloutStatus(sts).state, 'done');
    assert.equal(rolloutStatus({ ...sts, partition: 0 }).state, 'progressing');
    const ds: WorkloadState = {
      ...base, kind: 'DaemonSet', updateStrategy: 'RollingUpdate', desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2,
    };
    assert.equal(rolloutStatus(ds).state, 'progressing');
    assert.equal(rolloutStatus({ ...ds, numberAvailable: 3 }).state, 'done');
  });
});
