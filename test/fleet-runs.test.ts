// Fleet rotation on a real dev server and worker, over a stand-in child rotation
// (test/support/fleetStubWorkflows.ts). This file: attaching to a running rotation,
// continue-as-new, abort, and schedules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import {
  createFleetSchedule, deleteFleetSchedule, getFleetStatus, listFleetSchedules, pauseFleetSchedule, sendFleetControl,
  startFleetRotation, triggerFleetSchedule,
} from '../client/index.js';
import { TASK_QUEUE, clusterRotationWorkflowId, fleetRotationWorkflowId } from '../common/names.js';
import type { ClusterRotationInput, FleetReport } from '../common/types.js';
import { range, waitFor } from './support/fleetFakes.js';
import { useFleetStub } from './support/fleetHarness.js';
import { SILENT_CLUSTER_MODULUS } from './support/fleetStubWorkflows.js';

const fleetStub = useFleetStub();
const { linode, work, statusOf, resultOf, fleet } = fleetStub;

describe('fleet rotation: attach, continue-as-new, abort, schedules', { timeout: 240_000 }, () => {
  test('a cluster whose rotation is already running is attached to, not rotated twice', async () => {
    work.reset();
    linode.add('attach', [400, 401]);
    let release!: () => void;
    work.behaviour.set(400, { until: new Promise<void>((resolve) => { release = resolve; }) });
    await fleetStub.client.workflow.start('clusterRotation', {
      taskQueue: TASK_QUEUE,
      workflowId: clusterRotationWorkflowId(400),
      args: [{ clusterId: 400, requestedBy: 'erin' } satisfies ClusterRotationInput],
    });
    await waitFor('the solo rotation to be under way', async () => work.callsFor([400]) === 1);

    await startFleetRotation(fleetStub.client, fleet('attach', 'attach', { waves: { canary: 0 } }));
    const attached = await waitFor('401 done and 400 attached', async () => {
      const status = await statusOf('attach');
      const solo = status.clusters.find((c) => c.id === 400);
      return status.counts.Completed === 1 && solo?.attached && solo.phase === 'Running' && status;
    });
    assert.equal(attached.clusters.find((c) => c.id === 400)?.workflowId, clusterRotationWorkflowId(400));
    release();

    const report = await resultOf('attach');
    assert.equal(report.phase, 'Completed');
    assert.deepEqual(report.clusters.map((c) => [c.id, c.phase, c.attached]), [[400, 'Completed', true], [401, 'Completed', false]]);
    assert.equal(work.callsFor([400]), 1, 'cluster 400 was rotated once');
  });


  test('a fleet that continues as new finishes with every cluster accounted for and a bounded history', async (t) => {
    work.reset();
    fleetStub.checkedRotations = 0;
    const ids = range(500, 40);
    linode.add('big', ids);
    // Clusters that never report take far longer, so they fill most slots and some are always
    // running when the fleet continues as new: the next run must find them by looking.
    for (const id of ids) work.behaviour.set(id, { ms: id % SILENT_CLUSTER_MODULUS === 0 ? 800 : 40 + (id % 7) * 20 });
    const maxHistoryEvents = 120;
    await startFleetRotation(fleetStub.client, fleet('big', 'big', { concurrency: 6, waves: { canary: 0 }, maxHistoryEvents }));

    const report = await resultOf('big');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 40);
    assert.deepEqual(report.clusters.map((c) => c.id), ids);
    assert.ok(report.runs >= 2, `continued as new (${report.runs} runs)`);
    assert.equal(work.callsFor(ids), 40, 'no cluster rotated twice across runs');
    assert.ok(ids.some((id) => id % SILENT_CLUSTER_MODULUS === 0), 'some children never signal: the watch found them');
    assert.ok(fleetStub.checkedRotations > 0, 'rotations running at continue-as-new were followed by the next run');

    let longest = 0;
    let replayed = 0;
    for await (const run of fleetStub.client.workflow.list({ query: `WorkflowId = '${fleetRotationWorkflowId('big')}'` })) {
      const history = await fleetStub.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      longest = Math.max(longest, history.events?.length ?? 0);
      // Every run, including those that pick up carried state, replays without nondeterminism.
      await Worker.runReplayHistory({ workflowBundle: fleetStub.stubBundle }, history, run.workflowId);
      replayed++;
    }
    assert.equal(replayed, report.runs);
    assert.ok(longest < maxHistoryEvents + 60, `longest run history ${longest} events`);
    t.diagnostic(`40 clusters at concurrency 6: ${report.runs} runs, longest history ${longest} events`);
  });


  test('abort starts nothing new and lets the running rotation finish; a gate that times out rejects; a bad selection fails', async () => {
    work.reset();
    const ids = range(650, 4);
    linode.add('abort', ids);
    let release!: () => void;
    work.behaviour.set(650, { until: new Promise<void>((resolve) => { release = resolve; }) });
    await startFleetRotation(fleetStub.client, fleet('abort', 'abort', { concurrency: 1, waves: { canary: 0 } }));
    await waitFor('the first rotation under way', async () => work.callsFor([650]) === 1);
    await sendFleetControl(fleetStub.client, 'abort', { update: 'abort', input: { by: 'frank', reason: 'change freeze' } });
    const aborting = await statusOf('abort');
    assert.equal(aborting.phase, 'Aborting');
    await assert.rejects(sendFleetControl(fleetStub.client, 'abort', { update: 'pause' }), WorkflowUpdateFailedError);
    release();
    const aborted = await resultOf('abort');
    assert.equal(aborted.phase, 'Aborted');
    assert.deepEqual([aborted.counts.Completed, aborted.counts.NotStarted], [1, 3]);
    assert.deepEqual(aborted.aborted, { by: 'frank', reason: 'change freeze' });
    assert.equal(work.callsFor(ids), 1);

    linode.add('gate-timeout', range(660, 2));
    await startFleetRotation(fleetStub.client, fleet('gate-timeout', 'gate-timeout', { approvalTimeoutMs: 300 }));
    const timedOut = await resultOf('gate-timeout');
    assert.equal(timedOut.phase, 'Rejected');
    assert.match(timedOut.error ?? '', /canary approval timed out/);
    assert.deepEqual([timedOut.counts.Completed, timedOut.counts.NotStarted], [1, 1]);

    await startFleetRotation(fleetStub.client, { name: 'missing', requestedBy: 'alice', selector: { clusterIds: [99_999] } });
    const failed = await resultOf('missing');
    assert.equal(failed.phase, 'Failed');
    assert.match(failed.error ?? '', /selection failed: clusters 99999 not found/);
  });


  test('a schedule starts fleet rotations', async () => {
    work.reset();
    linode.add('nightly', range(700, 2));
    const input = fleet('nightly', 'nightly', { waves: { canary: 0 } });
    await createFleetSchedule(fleetStub.client, { scheduleId: 'fleet-nightly', input, spec: { intervals: [{ every: '1 day' }] }, note: 'test' });
    try {
      await triggerFleetSchedule(fleetStub.client, 'fleet-nightly');
      const workflowId = await waitFor('the scheduled run', async () => {
        const description = await fleetStub.client.schedule.getHandle('fleet-nightly').describe();
        return description.info.recentActions[0]?.action.workflow.workflowId;
      });
      assert.match(workflowId, /^rotate-fleet-nightly-/);
      const report = await fleetStub.client.workflow.getHandle(workflowId).result() as FleetReport;
      assert.equal(report.phase, 'Completed');
      assert.equal(report.fleetRotationId, workflowId);
      const scheduled = await fleetStub.client.workflow.getHandle(workflowId).describe();
      assert.match(await scheduled.staticDetails() ?? '', /Fleet \*\*nightly\*\*, requested by/, 'a scheduled run has static details too');
      assert.equal((await getFleetStatus(fleetStub.client, workflowId))?.counts.Completed, 2);

      await pauseFleetSchedule(fleetStub.client, 'fleet-nightly', 'maintenance');
      // The schedule list is read from visibility, which lags the schedule's own state a little.
      const listed = await waitFor('the paused schedule in the list', async () =>
        (await listFleetSchedules(fleetStub.client)).find((s) => s.scheduleId === 'fleet-nightly' && s.paused));
      assert.deepEqual([listed.fleetName, listed.note, listed.recentRuns], ['nightly', 'maintenance', [workflowId]]);
    } finally {
      await deleteFleetSchedule(fleetStub.client, 'fleet-nightly');
    }
    await waitFor('the schedule gone from the list', async () =>
      !(await listFleetSchedules(fleetStub.client)).some((s) => s.scheduleId === 'fleet-nightly'));
  });
});
