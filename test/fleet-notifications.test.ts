// fleetRotation's webhook events on a real dev server over the stand-in child rotation: the canary
// wave done, the canary gate waiting, the halt past the error budget, the last wave done and the
// end, in that order with per-run numbered idempotency keys; its children are asked to notify too;
// and a fleet without `notify` sends nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sendFleetControl, startFleetRotation } from '../client/index.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import type { ClusterRotationInput } from '../common/types.js';
import { range, waitFor } from './support/fleetFakes.js';
import { useFleetStub } from './support/fleetHarness.js';

const fleetStub = useFleetStub();
const { linode, work, waitForPhase, resultOf, fleet } = fleetStub;

describe('fleet rotation: webhook notifications', { timeout: 120_000 }, () => {
  test('wave done, canary gate, halt, wave done, end: each once, keyed <workflowId>/<runId>/<kind>/<n>', async () => {
    work.reset();
    fleetStub.notifications.length = 0;
    // ids that report back by signal (not multiples of 3): no wait on the watch
    const ids = [700, 701, 703];
    linode.add('notes', ids);
    work.behaviour.set(701, { ms: 10, fail: true });
    const started = await startFleetRotation(fleetStub.client, fleet('notes', 'notes', { concurrency: 1, notify: true }));

    await waitForPhase('notes', 'AwaitingApproval');
    await sendFleetControl(fleetStub.client, 'notes', { update: 'approve', input: { by: 'bob' } });
    await waitForPhase('notes', 'Halted');
    await sendFleetControl(fleetStub.client, 'notes', { update: 'resume', input: { by: 'bob' } });
    const report = await resultOf('notes');
    assert.equal(report.phase, 'CompletedWithFailures');
    await waitFor('the end event', async () => fleetStub.notifications.some((n) => n.kind === 'fleet.ended'));

    const mine = fleetStub.notifications.filter((n) => n.workflowId === started.workflowId);
    const prefix = `${started.workflowId}/${started.runId}`;
    assert.deepEqual(mine.map((n) => n.idempotencyKey), [
      `${prefix}/fleet.wave.completed/1`,
      `${prefix}/fleet.gate.waiting/2`,
      `${prefix}/fleet.halted/3`,
      `${prefix}/fleet.wave.completed/4`,
      `${prefix}/fleet.ended/5`,
    ]);
    const [canaryDone, gate, halted, lastWave, end] = mine;
    assert.deepEqual([canaryDone.wave, canaryDone.waveCount, canaryDone.counts?.Completed, canaryDone.counts?.Pending], [1, 2, 1, 2]);
    assert.deepEqual([gate.gate, gate.phase, gate.workflowType, gate.fleetRotationId], ['canary', 'AwaitingApproval', 'fleetRotation', started.workflowId]);
    assert.deepEqual([halted.phase, halted.counts?.Failed], ['Halted', 1]);
    assert.match(halted.reason ?? '', /1 failed, error budget allows 0/);
    assert.deepEqual([lastWave.wave, lastWave.waveCount], [2, 2]);
    assert.deepEqual([end.phase, end.counts?.Completed, end.counts?.Failed], ['CompletedWithFailures', 2, 1]);

    // the children were started with notify (a real clusterRotation then sends its own events)
    const history = await fleetStub.client.workflow.getHandle(clusterRotationWorkflowId(703)).fetchHistory();
    const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal((JSON.parse(Buffer.from(payload!.data!).toString()) as ClusterRotationInput).notify, true);
  });

  test('across continue-as-new each run numbers its own events under its own run id', async () => {
    work.reset();
    fleetStub.notifications.length = 0;
    const ids = range(720, 14);
    linode.add('long', ids);
    const started = await startFleetRotation(fleetStub.client, fleet('long', 'long', { concurrency: 4, maxHistoryEvents: 100, notify: true }));
    await waitForPhase('long', 'AwaitingApproval');
    await sendFleetControl(fleetStub.client, 'long', { update: 'approve', input: { by: 'bob' } });
    const report = await resultOf('long');
    assert.equal(report.phase, 'Completed');
    assert.ok(report.runs >= 2, `continued as new (${report.runs} runs)`);
    const lastRunId = (await fleetStub.client.workflow.getHandle(started.workflowId).describe()).runId;
    assert.notEqual(lastRunId, started.runId);
    await waitFor('the end event', async () => fleetStub.notifications.some((n) => n.workflowId === started.workflowId && n.kind === 'fleet.ended'));
    assert.deepEqual(fleetStub.notifications.filter((n) => n.workflowId === started.workflowId).map((n) => n.idempotencyKey), [
      `${started.workflowId}/${started.runId}/fleet.wave.completed/1`,
      `${started.workflowId}/${started.runId}/fleet.gate.waiting/2`,
      `${started.workflowId}/${lastRunId}/fleet.wave.completed/1`,
      `${started.workflowId}/${lastRunId}/fleet.ended/2`,
    ]);
  });

  test('a fleet without notify sends nothing, nor do its children', async () => {
    work.reset();
    fleetStub.notifications.length = 0;
    linode.add('quiet', [710]);
    await startFleetRotation(fleetStub.client, fleet('quiet', 'quiet', { waves: { canary: 0 }, gatesDisabledBy: 'test-admin' }));
    assert.equal((await resultOf('quiet')).phase, 'Completed');
    assert.equal(fleetStub.notifications.length, 0);
    const history = await fleetStub.client.workflow.getHandle(clusterRotationWorkflowId(710)).fetchHistory();
    const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal((JSON.parse(Buffer.from(payload!.data!).toString()) as ClusterRotationInput).notify, undefined);
  });
});
