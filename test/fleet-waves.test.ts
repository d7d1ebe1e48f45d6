// Fleet rotation on a real dev server and worker: the real fleetRotation workflow, its activities and
// client functions, over a stand-in child rotation (test/support/fleetStubWorkflows.ts). This file:
// the waves, the canary gate, the concurrency window, pause, the error budget, skip and retry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { sendFleetControl, startFleetRotation } from '../client/index.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import type { ClusterRotationInput } from '../common/types.js';
import { FLEET_ROTATION_ID } from '../common/searchAttributes.js';
import { approveSignal } from '../workflows/definitions.js';
import { range, waitFor } from './support/fleetFakes.js';
import { useFleetStub } from './support/fleetHarness.js';

const fleetStub = useFleetStub();
const { linode, work, statusOf, waitForPhase, resultOf, fleet } = fleetStub;

describe('fleet rotation: waves, gate, window and budget', { timeout: 240_000 }, () => {
  test('canary wave, approval gate, then the rest; children carry the fleet id and no per-cluster delete gate', async () => {
    work.reset();
    const ids = range(100, 4);
    linode.add('canary', ids, 'us-ord');
    const started = await startFleetRotation(fleetStub.client, fleet('canary', 'canary', { concurrency: 2 }));
    assert.equal(started.workflowId, 'rotate-fleet-canary');

    const gated = await waitForPhase('canary', 'AwaitingApproval');
    assert.deepEqual(gated.clusters.map((c) => [c.id, c.wave, c.phase]), [
      [100, 0, 'Completed'], [101, 1, 'Pending'], [102, 1, 'Pending'], [103, 1, 'Pending'],
    ]);
    assert.equal(gated.counts.Completed, 1);
    assert.equal(gated.pendingGate?.gate, 'canary');
    assert.equal(work.callsFor(ids), 1, 'only the canary ran before the approval');
    await assert.rejects(sendFleetControl(fleetStub.client, 'canary', { update: 'resume' }), WorkflowUpdateFailedError);
    // the same control as a Signal by the requester: refused, and the refusal is in the status and the details
    const fleetHandle = fleetStub.client.workflow.getHandle('rotate-fleet-canary');
    await fleetHandle.signal(approveSignal, { by: 'alice' });
    const refused = await waitFor('the refused signal', async () => (await statusOf('canary')).refusedSignals?.[0]);
    assert.deepEqual([refused.signal, refused.by], ['approve', 'alice']);
    assert.match(refused.reason, /requester \(alice\) cannot approve their own fleet rotation/);
    const metadata = await fleetHandle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.ok(metadata.currentDetails?.includes(`temporal workflow signal --workflow-id rotate-fleet-canary --name approve --input '{"by":"<your name>"}'`));
    assert.match(metadata.currentDetails ?? '', /Signal `approve` refused/);
    assert.match(await (await fleetHandle.describe()).staticDetails() ?? '', /Fleet \*\*canary\*\*, requested by \*\*alice\*\*/);

    const approved = await sendFleetControl(fleetStub.client, 'canary', { update: 'approve', input: { by: 'bob', comment: 'canary looks fine' } });
    assert.equal(approved.approvals[0].by, 'bob');
    const report = await resultOf('canary');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 4);
    assert.equal(work.callsFor(ids), 4);
    await assert.rejects(sendFleetControl(fleetStub.client, 'canary', { update: 'approve', input: { by: 'bob' } }), /ended|not found|completed/i);

    const child = fleetStub.client.workflow.getHandle(clusterRotationWorkflowId(101));
    const description = await child.describe();
    assert.equal(description.typedSearchAttributes.get(FLEET_ROTATION_ID), 'rotate-fleet-canary');
    assert.match(await description.staticDetails() ?? '', /Cluster \*\*101\*\* \(.+\), requested by \*\*alice\*\*\n[^]*part of fleet rotation rotate-fleet-canary/);
    const history = await child.fetchHistory();
    const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const childInput = JSON.parse(Buffer.from(payload!.data!).toString()) as ClusterRotationInput;
    // after the canary gate a second person approved, the fleet's gate covers this cluster's own
    assert.deepEqual(childInput.approvals, { beforeDelete: false, beforeRecycle: false, disabledBy: 'fleet:rotate-fleet-canary' });
    assert.equal(childInput.fleetRotationId, 'rotate-fleet-canary');
    assert.equal(childInput.requestedBy, 'alice');
  });


  test('never more children at once than the concurrency; pause stops new starts until resume', async () => {
    work.reset();
    const ids = range(200, 12);
    linode.add('window', ids);
    for (const id of ids) work.behaviour.set(id, { ms: 400 });
    await startFleetRotation(fleetStub.client, fleet('window', 'window', { concurrency: 3, waves: { canary: 0 } }));

    await waitFor('three rotations running', async () => work.running === 3);
    await sendFleetControl(fleetStub.client, 'window', { update: 'pause', input: { by: 'carol' } });
    const paused = await waitFor('the running ones to finish while paused', async () => {
      const status = await statusOf('window');
      return status.counts.Running === 0 && status;
    });
    assert.equal(paused.phase, 'Paused');
    const doneWhilePaused = work.callsFor(ids);
    assert.ok(paused.counts.Pending > 0, 'work left over');
    await delay(600);
    assert.equal(work.callsFor(ids), doneWhilePaused, 'nothing new started while paused');

    await sendFleetControl(fleetStub.client, 'window', { update: 'resume', input: { by: 'carol' } });
    const report = await resultOf('window');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 12);
    assert.equal(work.maxRunning, 3, 'the window was filled, and never overfilled');
  });


  test('failures past the error budget halt the fleet; skip and resume take it to the end', async () => {
    work.reset();
    const ids = range(300, 8);
    linode.add('budget', ids);
    for (const id of ids) work.behaviour.set(id, { ms: 300 });
    for (const id of [300, 301, 304, 305]) work.behaviour.set(id, { ms: 10, fail: true });
    await startFleetRotation(fleetStub.client, fleet('budget', 'budget', { concurrency: 2, waves: { canary: 0 }, errorBudget: { count: 1 } }));

    const halted = await waitFor('the first halt, with the running one finished', async () => {
      const status = await statusOf('budget');
      return status.phase === 'Halted' && status.counts.Running === 0 && status;
    });
    // Whether 302 started depends on the two failures landing in one workflow task or two.
    assert.equal(halted.counts.Failed, 2);
    assert.equal(halted.counts.Completed + halted.counts.Pending, 6);
    assert.match(halted.haltReason ?? '', /2 failed, error budget allows 1/);
    await delay(500);
    assert.equal(work.callsFor(ids), 8 - halted.counts.Pending, 'no new cluster starts while halted');

    const skipped = await sendFleetControl(fleetStub.client, 'budget', { update: 'skip', input: { by: 'dave' } });
    assert.deepEqual(skipped.clusters.filter((c) => c.phase === 'Skipped').map((c) => c.id), [300, 301]);
    assert.equal(skipped.halted, false);

    const haltedAgain = await waitFor('the second halt', async () => {
      const status = await statusOf('budget');
      return status.phase === 'Halted' && status.counts.Running === 0 && status;
    });
    assert.deepEqual(haltedAgain.clusters.filter((c) => c.phase === 'Failed').map((c) => c.id), [304, 305]);
    await sendFleetControl(fleetStub.client, 'budget', { update: 'resume', input: { by: 'dave' } });

    const report = await resultOf('budget');
    assert.equal(report.phase, 'CompletedWithFailures');
    assert.deepEqual([report.counts.Completed, report.counts.Skipped, report.counts.Failed], [4, 2, 2]);
    assert.deepEqual(report.errorBudget, { allowed: 1, failed: 2, accepted: 2 });
    assert.match(report.clusters.find((c) => c.id === 304)?.error ?? '', /injected failure on cluster 304/);
  });


  test('retry runs the failed clusters again', async () => {
    work.reset();
    const ids = range(350, 4);
    linode.add('retry', ids);
    work.behaviour.set(351, { fail: true });
    await startFleetRotation(fleetStub.client, fleet('retry', 'retry', { concurrency: 1, waves: { canary: 0 } }));
    const halted = await waitForPhase('retry', 'Halted');
    assert.deepEqual(halted.clusters.map((c) => c.phase), ['Completed', 'Failed', 'Pending', 'Pending']);
    await assert.rejects(sendFleetControl(fleetStub.client, 'retry', { update: 'retry', input: { clusterIds: [350] } }),
      (err: Error) => err instanceof WorkflowUpdateFailedError && /no failed cluster to act on/.test(String(err.cause)));

    work.behaviour.delete(351);
    const retried = await sendFleetControl(fleetStub.client, 'retry', { update: 'retry', input: { by: 'dave' } });
    assert.equal(retried.clusters.find((c) => c.id === 351)?.phase, 'Pending');
    const report = await resultOf('retry');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 4);
    assert.equal(work.callsFor([351]), 2);
  });


  test('rejecting the canary gate ends the fleet Rejected, with nothing more started', async () => {
    work.reset();
    const ids = range(600, 3);
    linode.add('reject', ids);
    await startFleetRotation(fleetStub.client, fleet('reject', 'reject', { soakMs: 200 }));
    await waitForPhase('reject', 'AwaitingApproval');
    await sendFleetControl(fleetStub.client, 'reject', { update: 'reject', input: { by: 'bob', reason: 'canary broke ingress' } });
    const report = await resultOf('reject');
    assert.equal(report.phase, 'Rejected');
    assert.deepEqual([report.counts.Completed, report.counts.NotStarted], [1, 2]);
    assert.equal(report.error, 'canary broke ingress');
    assert.ok(report.timeline.some((entry) => entry.event === 'soaking'));
    assert.equal(work.callsFor(ids), 1);
  });
});
