// clusterRotation on a real Temporal dev server with an in-memory fake cluster behind the activity
// contract. This file: the approval gates (approve, reject, time out), the whole run end to end
// (phases, report, search attributes, history budget, no secrets), the Temporal CLI, a dry run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getRotationStatus, sendControl, startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { resolveTemporalCli } from '../dev/binaries.js';
import { FakeCluster } from './support/fakeActivities.js';
import { historyText, recordFixture } from './support/histories.js';
import { assertNoSecrets, destructiveCalls, rotationInput, useRotationHarness } from './support/rotationHarness.js';
import { useTemporal } from './support/temporal.js';

const execFileAsync = promisify(execFile);

const rotation = useRotationHarness();
const { withWorker, waitForPhase } = rotation;
// The Java test server skips timers while a result is awaited: the real 24 h gate default, in seconds.
const skipping = useTemporal({ timeSkipping: true });

describe('clusterRotation: gates and whole runs', { concurrency: false }, () => {
  test('happy path: gates, phases, approvals, report, search attributes, history budget, no secrets', async (t) => {
    const cluster = new FakeCluster(1, 'prod-eu', 'us-iad', { workloads: 3, nodes: 2 });
    const originalFingerprint = cluster.adminFingerprint;
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster), { taskQueue, region: 'us-iad' });
      const gate = await waitForPhase(1, 'AwaitingApproval');
      assert.equal(gate.pendingGate?.gate, 'beforeDelete');
      assert.equal(gate.plan?.deleteSecrets.length, 4);
      assert.equal(destructiveCalls(cluster), 0, 'nothing changes before approval');

      const approved = await sendControl(rotation.client, 1, 'approve', { by: 'bob', comment: 'change 42' });
      assert.equal(approved.approval?.gate, 'beforeDelete');
      assert.notEqual(approved.phase, 'AwaitingApproval');

      await waitForPhase(1, 'AwaitingRecycleApproval');
      assert.equal(cluster.count('restartWorkload'), 3);
      assert.equal(cluster.count('recycleNode'), 0);
      await sendControl(rotation.client, 1, 'approve', { by: 'carol' });

      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.deepEqual(report.notDone, []);
      assert.equal(report.deleted?.deleted.length, 4);
      assert.equal(report.restarted.length, 3);
      assert.equal(report.recycled.length, 2);
      assert.equal(report.newFingerprint, cluster.adminFingerprint);
      assert.notEqual(cluster.adminFingerprint, originalFingerprint);
      assert.equal(cluster.deliveredFingerprint, cluster.adminFingerprint);
      for (const name of ['deleteTokenSecrets', 'regenerateCredentials', 'awaitKubeconfig', 'verifyRotation', 'deliverKubeconfig'] as const) {
        assert.equal(cluster.count(name), 1, name);
      }
      const restartedAt = new Set(cluster.calls.filter((c) => c.name === 'restartWorkload')
        .map((c) => (c.input as { restartedAt: string }).restartedAt));
      assert.equal(restartedAt.size, 1, 'one restartedAt value per rotation');

      const status = await getRotationStatus(rotation.client, 1);
      assert.deepEqual(status.approvals.map((a) => [a.gate, a.by]), [['beforeDelete', 'bob'], ['beforeRecycle', 'carol']]);
      const phases = status.timeline.map((t) => t.phase).filter((p, i, all) => p !== all[i - 1]);
      assert.deepEqual(phases, ['Snapshotting', 'AwaitingApproval', 'DeletingTokens', 'Regenerating', 'AwaitingKubeconfig',
        'Verifying', 'DeliveringKubeconfig', 'RestartingWorkloads', 'AwaitingRecycleApproval', 'RecyclingNodes', 'Completed']);

      const description = await handle.describe();
      assert.equal(await description.staticSummary(), 'Rotate LKE cluster 1 (us-iad)');

      let listed: string[] = [];
      for (let i = 0; i < 100 && !listed.includes(handle.workflowId); i++) {
        listed = [];
        for await (const w of rotation.client.workflow.list({ query: 'LkeClusterId = 1 AND RotationPhase = "Completed"' })) listed.push(w.workflowId);
        if (!listed.includes(handle.workflowId)) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(listed.includes(handle.workflowId), 'found by LkeClusterId and RotationPhase');

      const history = await handle.fetchHistory();
      const events = history.events?.length ?? 0;
      console.log(`history events of a full rotation (3 workloads, 2 nodes, 2 gates): ${events}`);
      assert.ok(events < 150, `history has ${events} events`);
      const text = historyText(history);
      assertNoSecrets(text, cluster);
      for (const summary of ['Delete 4 token Secrets in kube-system', 'Restart 3 workloads', 'Drain and recycle 2 nodes']) {
        assert.ok(text.includes(summary), `activity summary "${summary}" in history`);
      }
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /\*\*Phase:\*\* Completed/);
      assert.match(metadata.currentDetails ?? '', /\| 4\/4 \| 3\/3 \| 2\/2 \|/);
      recordFixture('full-rotation', history);
    });
  });


  test('reject at the gate: Rejected, nothing changed', async (t) => {
    const cluster = new FakeCluster(2);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster), { taskQueue });
      await waitForPhase(2, 'AwaitingApproval');
      await sendControl(rotation.client, 2, 'reject', { by: 'bob', reason: 'freeze week' });
      const report = await handle.result();
      assert.equal(report.phase, 'Rejected');
      assert.equal(destructiveCalls(cluster), 0);
      assert.equal(cluster.count('snapshotCluster'), 1);
      assert.ok(report.timeline.some((t) => /beforeDelete rejected/.test(t.event) && t.detail === 'bob: freeze week'));
    });
  });


  test('rejecting node recycling still completes the credential rotation', async (t) => {
    const cluster = new FakeCluster(12, 'c12', 'us-ord', { workloads: 0, nodes: 2 });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await waitForPhase(12, 'AwaitingRecycleApproval');
      await sendControl(rotation.client, 12, 'reject', { by: 'bob', reason: 'peak traffic' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('recycleNode'), 0);
      assert.deepEqual(report.skippedSteps, ['recycleNodes']);
      assert.equal(report.notDone.length, 2);
      assert.match(report.notDone[0] ?? '', /recycle gate rejected/);
    });
  });


  test('the Temporal CLI alone can drive a rotation', async (t) => {
    const cluster = new FakeCluster(13, 'c13', 'us-ord', { workloads: 1, nodes: 0 });
    const cli = await resolveTemporalCli();
    await withWorker(t, cluster, async (taskQueue) => {
      const conn = ['--address', rotation.temporal.server.address, '--namespace', rotation.temporal.server.namespace];
      const workflowId = 'rotate-cluster-13';
      await execFileAsync(cli, ['workflow', 'start', ...conn, '--type', 'clusterRotation', '--task-queue', taskQueue,
        '--workflow-id', workflowId, '--input', JSON.stringify({ clusterId: 13, requestedBy: 'cli-user' })]);
      await waitForPhase(13, 'AwaitingApproval');
      await execFileAsync(cli, ['workflow', 'update', 'execute', ...conn, '--workflow-id', workflowId,
        '--name', 'approve', '--input', JSON.stringify({ by: 'cli-approver' })]);
      const { stdout } = await execFileAsync(cli, ['workflow', 'result', ...conn, '--workflow-id', workflowId, '--output', 'json']);
      const result = JSON.parse(stdout) as { result?: RotationReport; status?: string };
      assert.equal(result.result?.phase, 'Completed', stdout.slice(0, 500));
      assert.equal(cluster.count('deleteTokenSecrets'), 1);
      const status = await getRotationStatus(rotation.client, 13);
      assert.equal(status.approvals[0]?.by, 'cli-approver');
    });
  });


  test('a gate that times out: Rejected, nothing changed', async (t) => {
    const cluster = new FakeCluster(3);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { gateTimeoutMs: 1_000 }), { taskQueue });
      const report = await handle.result();
      assert.equal(report.phase, 'Rejected');
      assert.equal(destructiveCalls(cluster), 0);
      assert.ok(report.timeline.some((t) => /gate timed out/.test(t.event)));
    });
  });


  test('dry run: snapshot and plan, nothing changed', async (t) => {
    const cluster = new FakeCluster(9);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { dryRun: true }), { taskQueue });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(report.dryRun, true);
      assert.equal(report.plan?.deleteSecrets.length, 4);
      assert.equal(report.plan?.recycleNodes.length, 2);
      assert.deepEqual(cluster.calls.map((c) => c.name), ['snapshotCluster', 'releaseKubeconfigs'], 'and the cached kubeconfigs are released');
    });
  });


  test('orchestration overhead: a gate-less full rotation on instant fakes', async (t) => {
    const cluster = new FakeCluster(14, 'c14', 'us-ord', { workloads: 3, nodes: 2 });
    await withWorker(t, cluster, async (taskQueue) => {
      const started = Date.now();
      const { handle } = await startRotation(rotation.client,
        rotationInput(cluster, { approvals: { beforeDelete: false, beforeRecycle: false } }), { taskQueue });
      const report = await handle.result();
      const wallMs = Date.now() - started;
      console.log(`full rotation wall time on instant fakes (11 activities): ${wallMs} ms`);
      assert.equal(report.phase, 'Completed');
      assert.ok(wallMs < 30_000);
    });
  });
});

describe('clusterRotation on the time-skipping server', () => {
  test('the default 24 h gate timeout ends the rotation Rejected with nothing changed', async (t) => {
    const cluster = new FakeCluster(15);
    const { taskQueue } = await skipping.startWorker(t, { activities: cluster.activities() });
    const { handle } = await startRotation(skipping.client, rotationInput(cluster), { taskQueue });
    const report = await handle.result();
    assert.equal(report.phase, 'Rejected');
    assert.equal(destructiveCalls(cluster), 0);
    const timedOut = report.timeline.find((e) => /gate timed out/.test(e.event));
    assert.ok(timedOut);
    assert.match(timedOut.event, /after 86400000 ms/);
  });
});
