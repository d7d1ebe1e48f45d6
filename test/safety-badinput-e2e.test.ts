// Issue 10 item 7, end to end: a real Temporal dev server, the LKE simulator (time-scaled) and a
// worker with the LIVE activities (dev/localStack.ts). The worker's on-disk kubeconfig cache
// (KUBECONFIG_DIR/.cache) holds a cluster's kubeconfigs only while its rotation runs: a dry run and a
// completed rotation both leave none behind. A kubeconfig that turns TLS verification off or runs a
// command on the worker Blocks the rotation at snapshot with a message naming the field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { sendControl, startRotation } from '../client/index.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { waitForRotationStatus } from './support/rotationStatus.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: LocalStack;
let client: Client;

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 4, seed: 23, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);

function input(clusterId: number, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput {
  return { clusterId, requestedBy: 'alice', tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 }, ...extra };
}

const waitForStatus = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 30_000) =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);

const resultOf = (clusterId: number): Promise<RotationReport> =>
  client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;

/** The worker's cached kubeconfigs of one cluster (compose() puts the cache in KUBECONFIG_DIR/.cache). */
async function cachedOf(clusterId: number): Promise<string[]> {
  const names = await readdir(join(stack.kubeconfigDir, '.cache')).catch(() => [] as string[]);
  return names.filter((name) => name.replace(/^\./, '').startsWith(`${clusterId}-`));
}

describe('the worker keeps cached kubeconfigs only while a rotation needs them', () => {
  test('a dry run leaves no cached kubeconfig behind', async () => {
    const clusterId = clusterIds()[0];
    await startRotation(client, input(clusterId, { dryRun: true }));
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.equal(report.dryRun, true);
    await readdir(join(stack.kubeconfigDir, '.cache')); // exists: the snapshot did cache its kubeconfig
    assert.deepEqual(await cachedOf(clusterId), []);
  });

  test('a rotation holds the old and new kubeconfigs while it runs and none once it completed', async () => {
    const clusterId = clusterIds()[1];
    await startRotation(client, input(clusterId, { recycle: { mode: 'rolling' } }));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    await sendControl(client, clusterId, 'approve', { by: 'bob' });
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingRecycleApproval', 'the recycle gate', 60_000);
    assert.equal((await cachedOf(clusterId)).length, 2, 'the snapshot\'s kubeconfig and the new one, while the rotation runs');
    // the rotation is done with credentials; declining the recycle ends it Completed
    await sendControl(client, clusterId, 'reject', { by: 'bob', reason: 'recycle next week' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.ok(report.delivered, 'the new kubeconfig was delivered');
    assert.deepEqual(await cachedOf(clusterId), [], 'released as the rotation ended');
    const delivered = (await readdir(stack.kubeconfigDir)).filter((name) => name.startsWith(`lke-${clusterId}-`));
    assert.equal(delivered.length, 1, 'the delivered kubeconfig stays: it is the product, not the cache');
  });
});

describe('a kubeconfig the rotator must not use', () => {
  test('a user exec command in the served kubeconfig Blocks the rotation at snapshot, naming the field', async () => {
    const clusterId = clusterIds()[2];
    const command = '/usr/local/bin/exfiltrate';
    stack.sim.state.cluster(clusterId)!.kubeconfigExtras = { user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command } } };
    await startRotation(client, input(clusterId));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked at snapshot');
    assert.equal(blocked.step, 'snapshot');
    assert.equal(blocked.lastError?.type, 'UnsafeKubeconfig');
    assert.match(blocked.lastError?.message ?? '', /kubeconfig refused: it sets users\[0\]\.user\.exec/);
    assert.ok(!JSON.stringify(blocked).includes(command), 'the content of the refused field appears nowhere in the status');
    assert.equal(stack.sim.audit.count({ clusterId, method: 'DELETE', path: /./, applied: true }), 0, 'nothing changed');

    await sendControl(client, clusterId, 'abort', { by: 'ops', reason: 'the kubeconfig is not LKE\'s' });
    assert.equal((await resultOf(clusterId)).phase, 'Cancelled');
    assert.deepEqual(await cachedOf(clusterId), [], 'the refused kubeconfig was never cached');
  });

  test('insecure-skip-tls-verify in the served kubeconfig Blocks the rotation at snapshot, naming the field', async () => {
    const clusterId = clusterIds()[3];
    stack.sim.state.cluster(clusterId)!.kubeconfigExtras = { cluster: { 'insecure-skip-tls-verify': true } };
    await startRotation(client, input(clusterId));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked at snapshot');
    assert.equal(blocked.lastError?.type, 'UnsafeKubeconfig');
    assert.match(blocked.lastError?.message ?? '', /clusters\[0\]\.cluster\.insecure-skip-tls-verify/);
    await sendControl(client, clusterId, 'abort', { by: 'ops', reason: 'unsafe kubeconfig' });
    assert.equal((await resultOf(clusterId)).phase, 'Cancelled');
  });
});
