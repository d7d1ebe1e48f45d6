// clusterRotation's webhook events on a real Temporal dev server with the in-memory fake cluster:
// which events a run with `notify: true` sends and in what order, idempotency keys that are stable
// (per run, per event, the same on replay), a webhook that always fails changing nothing about the
// rotation, and a run without `notify` scheduling nothing at all (no event, no patch marker).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { sendControl, startRotation } from '../client/index.js';
import type { NotifyInput } from '../common/notifications.js';
import type { RotationReport } from '../common/types.js';
import { rotationWorkflowBundle, UNCOUNTED } from '../worker/worker.js';
import { WEBHOOK_NOTIFICATIONS } from '../workflows/clusterRotation/patches.js';
import { NOTIFY_MAX_ATTEMPTS } from '../workflows/notifications.js';
import { FakeCluster } from './support/fakeActivities.js';
import { recordFixture } from './support/histories.js';
import { rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitForPhase } = rotation;

const GATES_OFF = { approvals: { beforeDelete: false, beforeRecycle: false } };

/** The notify activities scheduled in a history, with their inputs. */
function scheduledNotifications(events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null; input?: { payloads?: { data?: Uint8Array | null }[] | null } | null } | null }[]): NotifyInput[] {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify')
    .map((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0].data!).toString()) as NotifyInput);
}

/** A patch marker's details hold its id in a payload: decoded here, not matched in the JSON of the bytes. */
function hasPatchMarker(events: { markerRecordedEventAttributes?: { details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null }[]): boolean {
  return events.some((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {})
    .some((p) => p.payloads?.some((payload) => Buffer.from(payload.data ?? []).toString().includes(WEBHOOK_NOTIFICATIONS))));
}

describe('clusterRotation: webhook notifications', { concurrency: false }, () => {
  test('gate waiting, Blocked, recycle gate and the end, each once, with keys <workflowId>/<runId>/<kind>/<n> that replay unchanged', async (t) => {
    const cluster = new FakeCluster(71, 'c71', 'us-ord', { workloads: 2, nodes: 1 });
    cluster.fail('restartWorkload', { times: 1, nonRetryable: true, type: 'RolloutFailed', message: 'Deployment kube-system/w0 exceeded its progress deadline' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle, runId } = await startRotation(rotation.client, rotationInput(cluster, { notify: true }), { taskQueue });
      await waitForPhase(71, 'AwaitingApproval');
      await sendControl(rotation.client, 71, 'approve', { by: 'bob' });
      const blocked = await waitForPhase(71, 'Blocked');
      await sendControl(rotation.client, 71, 'retry', { by: 'bob' });
      await waitForPhase(71, 'AwaitingRecycleApproval');
      await sendControl(rotation.client, 71, 'approve', { by: 'carol' });
      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');

      const prefix = `rotate-cluster-71/${runId}`;
      assert.deepEqual(cluster.notifications.map((n) => n.idempotencyKey), [
        `${prefix}/rotation.gate.waiting/1`,
        `${prefix}/rotation.blocked/2`,
        `${prefix}/rotation.gate.waiting/3`,
        `${prefix}/rotation.ended/4`,
      ]);
      const [gate, block, recycleGate, end] = cluster.notifications;
      assert.deepEqual([gate.gate, gate.phase, gate.clusterId, gate.requestedBy, gate.workflowType], ['beforeDelete', 'AwaitingApproval', 71, 'alice', 'clusterRotation']);
      assert.ok(gate.timeoutAt && Date.parse(gate.timeoutAt) > Date.parse(gate.occurredAt));
      assert.deepEqual([block.phase, block.step, block.error?.type], ['Blocked', 'restartWorkloads', 'RolloutFailed']);
      assert.equal(block.error?.message, blocked.lastError?.message);
      assert.equal(recycleGate.gate, 'beforeRecycle');
      assert.deepEqual([end.kind, end.phase, end.reason], ['rotation.ended', 'Completed', undefined]);

      // what history holds is what the fake received, and a replay makes the same commands (same keys)
      const history = await handle.fetchHistory();
      assert.deepEqual(scheduledNotifications(history.events ?? []), cluster.notifications);
      assert.ok(hasPatchMarker(history.events ?? []), 'the run carries the patch marker');
      await Worker.runReplayHistory({ workflowBundle: await rotationWorkflowBundle(), sinks: UNCOUNTED }, history, handle.workflowId);
      // the replay fixture of the notification path (RECORD_HISTORIES=1): test/workflow-replay.test.ts keeps it replaying
      recordFixture('notifications', history);
    });
  });

  test('a webhook that always fails neither fails nor Blocks the rotation; each event is tried a bounded number of times', async (t) => {
    const cluster = new FakeCluster(72, 'c72', 'us-ord', { workloads: 1, nodes: 1 });
    cluster.fail('notify', { times: Infinity, type: 'WebhookUnavailable', message: 'webhook answered 503' });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { ...GATES_OFF, notify: true }), { taskQueue });
      const report: RotationReport = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.equal(report.notDone.length, 0);
      assert.ok(!report.timeline.some((e) => e.phase === 'Blocked'), 'never Blocked');
      // gates off and nothing Blocked: the end is the one event, tried until its retries ran out
      assert.equal(cluster.notifications.length, NOTIFY_MAX_ATTEMPTS);
      assert.ok(cluster.notifications.every((n) => n.kind === 'rotation.ended' && n.idempotencyKey === cluster.notifications[0].idempotencyKey),
        'every attempt carries the same key');
    });
  });

  test('a rejected rotation ends with its reason; without notify the same run schedules nothing and carries no marker', async (t) => {
    const rejected = new FakeCluster(73, 'c73');
    await withWorker(t, rejected, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(rejected, { notify: true }), { taskQueue });
      await waitForPhase(73, 'AwaitingApproval');
      await sendControl(rotation.client, 73, 'reject', { by: 'bob', reason: 'not during the freeze' });
      assert.equal((await handle.result()).phase, 'Rejected');
      const end = rejected.notifications.at(-1);
      assert.deepEqual([end?.kind, end?.phase], ['rotation.ended', 'Rejected']);
      assert.match(end?.reason ?? '', /bob: not during the freeze/);
    });

    const quiet = new FakeCluster(74, 'c74', 'us-ord', { workloads: 1, nodes: 1 });
    await withWorker(t, quiet, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(quiet, GATES_OFF), { taskQueue });
      assert.equal((await handle.result()).phase, 'Completed');
      assert.equal(quiet.notifications.length, 0);
      const history = await handle.fetchHistory();
      assert.equal(scheduledNotifications(history.events ?? []).length, 0);
      assert.ok(!hasPatchMarker(history.events ?? []), 'no marker: a run without notify costs no event');
    });
  });

  // on: the patch marker and the TemporalChangeVersion upsert Temporal's core adds with it, then the
  // end's activity (scheduled, started, completed) and at most one more workflow task
  test('history cost of a full rotation, gates off: the same with the webhook off, at most 8 more with it on', async (t) => {
    const counts: Record<string, number> = {};
    for (const notify of [false, true]) {
      const cluster = new FakeCluster(notify ? 76 : 75, 'c', 'us-ord', { workloads: 3, nodes: 1 });
      await withWorker(t, cluster, async (taskQueue) => {
        const { handle } = await startRotation(rotation.client, rotationInput(cluster, { ...GATES_OFF, notify }), { taskQueue });
        assert.equal((await handle.result()).phase, 'Completed');
        const events = (await handle.fetchHistory()).events ?? [];
        counts[String(notify)] = events.length;
      });
    }
    console.log(`history events of a full rotation, gates off: webhook off ${counts.false}, on ${counts.true}`);
    assert.ok(counts.false <= 80, `webhook off: ${counts.false} events`);
    assert.ok(counts.true > counts.false && counts.true <= counts.false + 8, `webhook on: ${counts.true} events`);
  });
});
