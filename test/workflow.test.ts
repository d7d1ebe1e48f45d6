// clusterRotation on a real Temporal dev server with an in-memory fake cluster behind the activity
// contract: the workflow's own logic (gates, Updates, Blocked, compensation, cancellation, pause,
// resume, search attributes, history size, replay) without the simulator's timing.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import {
  ControlRefusedError, getRotationStatus, readProgress, resumeRotation, sendControl, startRotation, type RotationHandle,
} from '../client/index.js';
import type { RotationPhase } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus } from '../common/types.js';
import { resolveTemporalCli } from '../engine/binaries.js';
import { rotationWorkflowBundle } from '../worker/worker.js';
import { FakeCluster } from './support/fakeActivities.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import { useTemporal } from './support/temporal.js';

const execFileAsync = promisify(execFile);
const FIXTURES = fileURLToPath(new URL('./fixtures/histories/', import.meta.url));
/** Set RECORD_HISTORIES=1 to rewrite the replay fixtures from this run. */
const RECORD = process.env.RECORD_HISTORIES === '1';

// Worker state chatter drowns the test report; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });
const harness = useTemporal();
// The Java test server skips timers while a result is awaited: the real 24 h gate default, in seconds.
const skipping = useTemporal({ timeSkipping: true });
let client: Client;

/** Runs `body` with a worker serving the fake cluster on its own task queue (stopped when the test ends). */
async function withWorker<T>(t: TestContext, cluster: FakeCluster, body: (taskQueue: string) => Promise<T>): Promise<T> {
  client = harness.client;
  const { taskQueue } = await harness.startWorker(t, { activities: cluster.activities() });
  return body(taskQueue);
}

function input(cluster: FakeCluster, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput {
  return {
    clusterId: cluster.clusterId,
    requestedBy: 'alice',
    restart: { scope: 'all' },
    recycle: { mode: 'rolling' },
    tuning: { activityRetryInitialIntervalMs: 50, activityRetryMaximumIntervalMs: 100, activityMaximumAttempts: 2 },
    ...extra,
  };
}

const waitFor = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs?: number): Promise<RotationStatus> =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);

const waitForPhase = (clusterId: number, phase: RotationPhase): Promise<RotationStatus> =>
  waitFor(clusterId, (s) => s.phase === phase, `phase ${phase}`);

async function refused(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ControlRefusedError, `expected ControlRefusedError, got ${String(err)}`);
    assert.match(err.reason, reason);
    return true;
  });
}

const { temporal } = proto;
type History = proto.temporal.api.history.v1.IHistory;
const HistoryProto = temporal.api.history.v1.History;

/** Fixture form: protobuf's own object mapping, which loads back losslessly with fromObject. */
const historyToFixture = (h: History): string =>
  JSON.stringify(HistoryProto.toObject(HistoryProto.fromObject(h), { longs: String, enums: String, bytes: String }), null, 1);
const historyFromFixture = (json: string): proto.temporal.api.history.v1.History => HistoryProto.fromObject(JSON.parse(json));

/** History as text with payload bytes decoded, so a leaked token would show verbatim. */
function historyText(h: History): string {
  // toObject without a bytes option keeps payload bytes as bytes (the message's own toJSON would base64 them).
  const plain = HistoryProto.toObject(HistoryProto.fromObject(h), { longs: String, enums: String });
  const text = JSON.stringify(plain, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    // Buffer.toJSON runs before the replacer sees the value
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('utf8');
    }
    return v;
  });
  return text;
}

async function fetchHistory(handle: RotationHandle): Promise<History> {
  return handle.fetchHistory();
}

function assertNoSecrets(json: string, cluster: FakeCluster): void {
  assert.ok(cluster.issuedTokens.length > 0);
  // Secret names (not values) are in the snapshot payload: seeing one proves payloads were decoded.
  assert.ok(json.includes('lke-admin-token-1x'), 'history payloads are readable');
  for (const token of cluster.issuedTokens) assert.ok(!json.includes(token), 'a token issued by the fake cluster reached history');
}

const DESTRUCTIVE = ['deleteTokenSecrets', 'regenerateCredentials', 'deliverKubeconfig', 'restartWorkload', 'recycleNode'] as const;
const destructiveCalls = (cluster: FakeCluster): number => DESTRUCTIVE.reduce((n, name) => n + cluster.count(name), 0);

function recordFixture(name: string, json: string): void {
  if (!RECORD) return;
  mkdirSync(FIXTURES, { recursive: true });
  writeFileSync(`${FIXTURES}${name}.json`, json);
}

describe('clusterRotation', { concurrency: false }, () => {
  test('happy path: gates, phases, approvals, report, search attributes, history budget, no secrets', async (t) => {
    const cluster = new FakeCluster(1, 'prod-eu', 'us-iad', { workloads: 3, nodes: 2 });
    const originalFingerprint = cluster.adminFingerprint;
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster), { taskQueue, region: 'us-iad' });
      const gate = await waitForPhase(1, 'AwaitingApproval');
      assert.equal(gate.pendingGate?.gate, 'beforeDelete');
      assert.equal(gate.plan?.deleteSecrets.length, 4);
      assert.equal(destructiveCalls(cluster), 0, 'nothing changes before approval');

      const approved = await sendControl(client, 1, 'approve', { by: 'bob', comment: 'change 42' });
      assert.equal(approved.approval?.gate, 'beforeDelete');
      assert.notEqual(approved.phase, 'AwaitingApproval');

      await waitForPhase(1, 'AwaitingRecycleApproval');
      assert.equal(cluster.count('restartWorkload'), 3);
      assert.equal(cluster.count('recycleNode'), 0);
      await sendControl(client, 1, 'approve', { by: 'carol' });

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

      const status = await getRotationStatus(client, 1);
      assert.deepEqual(status.approvals.map((a) => [a.gate, a.by]), [['beforeDelete', 'bob'], ['beforeRecycle', 'carol']]);
      const phases = status.timeline.map((t) => t.phase).filter((p, i, all) => p !== all[i - 1]);
      assert.deepEqual(phases, ['Snapshotting', 'AwaitingApproval', 'DeletingTokens', 'Regenerating', 'AwaitingKubeconfig',
        'Verifying', 'DeliveringKubeconfig', 'RestartingWorkloads', 'AwaitingRecycleApproval', 'RecyclingNodes', 'Completed']);

      const description = await handle.describe();
      assert.equal(await description.staticSummary(), 'Rotate LKE cluster 1 (us-iad)');

      let listed: string[] = [];
      for (let i = 0; i < 100 && !listed.includes(handle.workflowId); i++) {
        listed = [];
        for await (const w of client.workflow.list({ query: 'LkeClusterId = 1 AND RotationPhase = "Completed"' })) listed.push(w.workflowId);
        if (!listed.includes(handle.workflowId)) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(listed.includes(handle.workflowId), 'found by LkeClusterId and RotationPhase');

      const history = await handle.fetchHistory();
      const events = history.events?.length ?? 0;
      console.log(`history events of a full rotation (3 workloads, 2 nodes, 2 gates): ${events}`);
      assert.ok(events < 150, `history has ${events} events`);
      const text = historyText(history);
      assertNoSecrets(text, cluster);
      for (const summary of ['Delete 4 token Secrets in kube-system', 'Restart DaemonSet apps/w2', 'Recycle node 7-a1']) {
        assert.ok(text.includes(summary), `activity summary "${summary}" in history`);
      }
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /\*\*Phase:\*\* Completed/);
      assert.match(metadata.currentDetails ?? '', /\| 4\/4 \| 3\/3 \| 2\/2 \|/);
      recordFixture('full-rotation', historyToFixture(history));
    });
  });

  test('reject at the gate: Rejected, nothing changed', async (t) => {
    const cluster = new FakeCluster(2);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster), { taskQueue });
      await waitForPhase(2, 'AwaitingApproval');
      await sendControl(client, 2, 'reject', { by: 'bob', reason: 'freeze week' });
      const report = await handle.result();
      assert.equal(report.phase, 'Rejected');
      assert.equal(destructiveCalls(cluster), 0);
      assert.equal(cluster.count('snapshotCluster'), 1);
      assert.ok(report.timeline.some((t) => /beforeDelete rejected/.test(t.event) && t.detail === 'bob: freeze week'));
    });
  });

  test('cancellation at the gate: Cancelled, nothing changed', async (t) => {
    const cluster = new FakeCluster(11);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster), { taskQueue });
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
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
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

  test('rejecting node recycling still completes the credential rotation', async (t) => {
    const cluster = new FakeCluster(12, 'c12', 'us-ord', { workloads: 0, nodes: 2 });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await waitForPhase(12, 'AwaitingRecycleApproval');
      await sendControl(client, 12, 'reject', { by: 'bob', reason: 'peak traffic' });
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
      const conn = ['--address', harness.server.address, '--namespace', harness.server.namespace];
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
      const status = await getRotationStatus(client, 13);
      assert.equal(status.approvals[0]?.by, 'cli-approver');
    });
  });

  test('a gate that times out: Rejected, nothing changed', async (t) => {
    const cluster = new FakeCluster(3);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { gateTimeoutMs: 1_000 }), { taskQueue });
      const report = await handle.result();
      assert.equal(report.phase, 'Rejected');
      assert.equal(destructiveCalls(cluster), 0);
      assert.ok(report.timeline.some((t) => /gate timed out/.test(t.event)));
    });
  });

  test('wrong-time Updates are refused with a reason; skip where safe works', async (t) => {
    const cluster = new FakeCluster(4, 'c4', 'us-ord', { workloads: 2, nodes: 0 });
    cluster.fail('verifyRotation', { times: 1, nonRetryable: true, type: 'OldTokenStillAccepted', message: 'old admin token still accepted' });
    cluster.fail('restartWorkload', { times: 1, nonRetryable: true, type: 'DeploymentPaused', message: 'deployment is paused' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { recycle: { mode: 'none' } }), { taskQueue });
      await waitForPhase(4, 'AwaitingApproval');
      await refused(sendControl(client, 4, 'retry', {}), /only possible while the rotation is Blocked/);
      await refused(sendControl(client, 4, 'resume', {}), /not paused/);
      await refused(sendControl(client, 4, 'approve', {}), /needs 'by'/);
      await sendControl(client, 4, 'approve', { by: 'bob' });
      await refused(sendControl(client, 4, 'approve', { by: 'bob' }), /no approval is pending.*beforeDelete was approved by bob/);

      const blocked = await waitForPhase(4, 'Blocked');
      assert.equal(blocked.step, 'verify');
      assert.equal(blocked.lastError?.type, 'OldTokenStillAccepted');
      assert.match(blocked.lastError?.message ?? '', /old admin token still accepted/);
      await refused(sendControl(client, 4, 'skip', {}), /skipping verify is unsafe/);
      await sendControl(client, 4, 'pause', {});
      await refused(sendControl(client, 4, 'pause', {}), /already paused/);
      await sendControl(client, 4, 'resume', {});
      const retried = await sendControl(client, 4, 'retry', { by: 'bob' });
      assert.notEqual(retried.phase, 'Blocked');

      const blockedRestart = await waitForPhase(4, 'Blocked');
      assert.equal(blockedRestart.step, 'restartWorkloads');
      await sendControl(client, 4, 'skip', { by: 'bob' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.deepEqual(report.skippedSteps, ['restartWorkloads']);
      assert.deepEqual(report.notDone, ['restartWorkloads: Deployment kube-system/w0 (skipped)']);
      assert.equal(report.restarted.length, 1);
      await refused(sendControl(client, 4, 'abort', { by: 'bob', reason: 'late' }), /already ended/);
    });
  });

  test('an activity that exhausts its retries blocks the rotation; retry completes it', async (t) => {
    const cluster = new FakeCluster(5, 'c5', 'us-ord', { workloads: 1, nodes: 1 });
    cluster.fail('regenerateCredentials', { times: 2, type: 'LinodeServerError', message: 'Linode answered 500' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client,
        input(cluster, { approvals: { beforeDelete: false, beforeRecycle: false } }), { taskQueue });
      const blocked = await waitForPhase(5, 'Blocked');
      assert.equal(blocked.step, 'regenerate');
      assert.equal(blocked.lastError?.type, 'LinodeServerError');
      assert.equal(cluster.count('regenerateCredentials'), 2, 'both attempts of the retry policy ran');
      await sendControl(client, 5, 'retry', { by: 'ops' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('regenerateCredentials'), 3);
      assert.equal(cluster.count('deleteTokenSecrets'), 1);
    });
  });

  test('abort while Blocked after the deletes rolls forward to working credentials', async (t) => {
    const cluster = new FakeCluster(6, 'c6', 'us-ord', { workloads: 2, nodes: 1 });
    const original = cluster.adminFingerprint;
    // fails in the run and once more in the compensation, which then blocks until a retry
    cluster.fail('awaitKubeconfig', { times: 2, nonRetryable: true, type: 'KubeconfigNotReady', message: 'kubeconfig is not yet available' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      const blocked = await waitForPhase(6, 'Blocked');
      assert.equal(blocked.step, 'awaitKubeconfig');
      await refused(sendControl(client, 6, 'skip', {}), /skipping awaitKubeconfig is unsafe/);
      const aborted = await sendControl(client, 6, 'abort', { by: 'ops', reason: 'maintenance window over' });
      assert.ok(['Compensating', 'Regenerating', 'AwaitingKubeconfig', 'Blocked'].includes(aborted.phase), aborted.phase);

      await waitFor(6, (s) => s.phase === 'Blocked' && cluster.count('awaitKubeconfig') === 2, 'compensation blocked');
      await refused(sendControl(client, 6, 'abort', { by: 'ops', reason: 'again' }), /already compensating/);
      await refused(sendControl(client, 6, 'pause', {}), /cannot pause while compensating/);
      await sendControl(client, 6, 'retry', { by: 'ops' });

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
      const history = await fetchHistory(handle);
      assertNoSecrets(historyText(history), cluster);
      recordFixture('abort-compensation', historyToFixture(history));
    });
  });

  test('cancellation during verify still delivers the new kubeconfig, then stops', async (t) => {
    const cluster = new FakeCluster(17, 'c17', 'us-ord', { workloads: 2, nodes: 0 });
    const held = cluster.hold('verifyRotation');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
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
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
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
      const resumed = await resumeRotation(client, 7, { requestedBy: 'erin', taskQueue });
      await waitForPhase(7, 'AwaitingRecycleApproval');
      await sendControl(client, 7, 'approve', { by: 'bob' });
      const final = await resumed.handle.result();
      assert.equal(final.phase, 'Completed');
      assert.equal(cluster.count('restartWorkload'), 3);
      assert.equal(cluster.count('deleteTokenSecrets'), 1);
      assert.equal(cluster.count('recycleNode'), 2);
      assert.equal(final.restarted.length, 3);
    });
  });

  test('pause holds the rotation between steps; resume continues', async (t) => {
    const cluster = new FakeCluster(8, 'c8', 'us-ord', { workloads: 1, nodes: 0 });
    const held = cluster.hold('snapshotCluster');
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { approvals: { beforeDelete: false } }), { taskQueue });
      await held.entered;
      const paused = await sendControl(client, 8, 'pause', { by: 'ops' });
      assert.equal(paused.paused, true);
      held.release();
      await waitFor(8, (s) => s.completedSteps.includes('snapshot'), 'snapshot done');
      await new Promise((r) => setTimeout(r, 500));
      const status = await getRotationStatus(client, 8);
      assert.equal(status.paused, true);
      assert.equal(cluster.count('deleteTokenSecrets'), 0, 'paused before the next step');
      await sendControl(client, 8, 'resume', { by: 'ops' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.ok(report.timeline.some((t) => t.event === 'paused') && report.timeline.some((t) => t.event === 'resumed'));
    });
  });

  test('dry run: snapshot and plan, nothing changed', async (t) => {
    const cluster = new FakeCluster(9);
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(client, input(cluster, { dryRun: true }), { taskQueue });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(report.dryRun, true);
      assert.equal(report.plan?.deleteSecrets.length, 4);
      assert.equal(report.plan?.recycleNodes.length, 2);
      assert.deepEqual(cluster.calls.map((c) => c.name), ['snapshotCluster']);
    });
  });

  test('a terminated run is resumed by a new run that repeats no delete and keeps the approval', async (t) => {
    const cluster = new FakeCluster(10, 'c10', 'us-ord', { workloads: 2, nodes: 1 });
    const held = cluster.hold('awaitKubeconfig');
    await withWorker(t, cluster, async (taskQueue) => {
      const first = await startRotation(client, input(cluster, { approvals: { beforeRecycle: false } }), { taskQueue });
      await waitForPhase(10, 'AwaitingApproval');
      await sendControl(client, 10, 'approve', { by: 'bob' });
      await held.entered;
      await first.handle.terminate('worker host lost');
      held.release();

      await assert.rejects(resumeRotation(client, 999, { requestedBy: 'x' }));
      const second = await resumeRotation(client, 10, { requestedBy: 'dave', taskQueue });
      const report = await second.handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(cluster.count('snapshotCluster'), 1, 'the old snapshot is reused');
      assert.equal(cluster.count('deleteTokenSecrets'), 1, 'no delete repeated');
      assert.equal(cluster.count('regenerateCredentials'), 1, 'no regenerate repeated');
      assert.equal(cluster.count('awaitKubeconfig'), 2, 'the interrupted wait runs again');
      assert.equal(cluster.count('restartWorkload'), 2);
      assert.equal(cluster.count('recycleNode'), 1);
      assert.equal(cluster.deliveredFingerprint, cluster.adminFingerprint);
      const status = await getRotationStatus(client, 10);
      assert.deepEqual(status.approvals.map((a) => a.by), ['bob']);
      assert.equal(status.timeline[0]?.detail, `resumed from run ${first.runId}`);
      const progress = await readProgress(client, first.workflowId, first.runId);
      assert.deepEqual(progress.resume.completedSteps, ['snapshot', 'approval', 'deleteTokens', 'regenerate']);

      await assert.rejects(resumeRotation(client, 10, { requestedBy: 'dave', taskQueue }), /ended Completed: nothing to resume/);
      const history = await fetchHistory(second.handle);
      assertNoSecrets(historyText(history), cluster);
      recordFixture('resumed-rotation', historyToFixture(history));
    });
  });

  test('orchestration overhead: a gate-less full rotation on instant fakes', async (t) => {
    const cluster = new FakeCluster(14, 'c14', 'us-ord', { workloads: 3, nodes: 2 });
    await withWorker(t, cluster, async (taskQueue) => {
      const started = Date.now();
      const { handle } = await startRotation(client,
        input(cluster, { approvals: { beforeDelete: false, beforeRecycle: false } }), { taskQueue });
      const report = await handle.result();
      const wallMs = Date.now() - started;
      console.log(`full rotation wall time on instant fakes (11 activities): ${wallMs} ms`);
      assert.equal(report.phase, 'Completed');
      assert.ok(wallMs < 30_000);
    });
  });

  test('recorded histories replay without nondeterminism', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 2, 'replay fixtures exist (record with RECORD_HISTORIES=1)');
    const histories = files.map((f) => ({ workflowId: f, history: historyFromFixture(readFileSync(`${FIXTURES}${f}`, 'utf8')) }));
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await rotationWorkflowBundle() }, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed += 1;
    }
    assert.equal(replayed, files.length);
  });
});

describe('clusterRotation on the time-skipping server', () => {
  test('the default 24 h gate timeout ends the rotation Rejected with nothing changed', async (t) => {
    const cluster = new FakeCluster(15);
    const { taskQueue } = await skipping.startWorker(t, { activities: cluster.activities() });
    const { handle } = await startRotation(skipping.client, input(cluster), { taskQueue });
    const report = await handle.result();
    assert.equal(report.phase, 'Rejected');
    assert.equal(destructiveCalls(cluster), 0);
    const timedOut = report.timeline.find((e) => /gate timed out/.test(e.event));
    assert.ok(timedOut);
    assert.match(timedOut.event, /after 86400000 ms/);
  });
});
