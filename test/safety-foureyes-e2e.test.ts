// Four-eyes and the gate policy held by the WORKFLOWS, end to end: a real Temporal dev server, the
// time-scaled simulator and the live worker, driven the way the Temporal CLI and Temporal Web do it
// (raw Updates by name, workflows started straight on Temporal), with no API in front to help.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resumeRotation, startFleetRotation, startRotation } from '../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../common/names.js';
import type {
  ClusterRotationInput, ClusterRotationWorkflowInput, FleetReport, FleetStatus, RotationReport,
} from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { fleetStatusQuery } from '../workflows/definitions.js';
import { GATE_KEPT_NOTE } from '../workflows/clusterRotation/gatePolicy.js';
import { recordFixture } from './support/histories.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import { waitFor } from './support/waitFor.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: LocalStack;
let client: Client;

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 6, seed: 23, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const FAST_RETRIES = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 };
const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);
const input = (clusterId: number, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput =>
  ({ clusterId, requestedBy: 'alice', tuning: FAST_RETRIES, ...extra });
const deletes = (clusterId: number): number => stack.sim.audit.count({ clusterId, method: 'DELETE', path: /\/secrets\//, applied: true });

/** An Update sent by name with a raw argument, exactly as `temporal workflow update execute` sends it. */
function rawUpdate(workflowId: string, name: string, arg: object): Promise<unknown> {
  return client.workflow.getHandle(workflowId).executeUpdate(name, { args: [arg] });
}

async function refusedWith(promise: Promise<unknown>, reason: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected a refused Update, got ${String(err)}`);
    const message = err.cause?.message ?? '';
    if (typeof reason === 'string') assert.equal(message, reason);
    else assert.match(message, reason);
    return true;
  });
}

const atGate = (clusterId: number) => waitForRotationStatus(client, clusterId, (s) => s.phase === 'AwaitingApproval', 'the approval gate', 20_000);
const reportOf = (clusterId: number) => client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;
const fleetStatus = (name: string) => client.workflow.getHandle(fleetRotationWorkflowId(name)).query(fleetStatusQuery);

describe('four-eyes and the gate policy in the workflows (raw Temporal, no API)', { timeout: 120_000 }, () => {
  test('a cluster rotation refuses approve/reject by its requester and a second approval, with the reason', async () => {
    const clusterId = clusterIds()[0];
    const workflowId = clusterRotationWorkflowId(clusterId);
    await startRotation(client, input(clusterId));
    await atGate(clusterId);

    await refusedWith(rawUpdate(workflowId, 'approve', { by: 'alice' }), 'the requester (alice) cannot approve their own rotation: four-eyes');
    await refusedWith(rawUpdate(workflowId, 'approve', { by: '  ALICE ' }), 'the requester (alice) cannot approve their own rotation: four-eyes');
    await refusedWith(rawUpdate(workflowId, 'reject', { by: 'Alice', reason: 'mine' }),
      'the requester (alice) cannot reject their own rotation: four-eyes (abort stops it)');
    assert.equal(deletes(clusterId), 0, 'nothing deleted while only the requester answered');

    // Two approvals race: one passes the gate, the other is refused.
    const [bob, carol] = await Promise.allSettled([
      rawUpdate(workflowId, 'approve', { by: 'bob' }), rawUpdate(workflowId, 'approve', { by: 'carol' }),
    ]);
    const outcomes = [bob.status, carol.status].sort();
    assert.deepEqual(outcomes, ['fulfilled', 'rejected']);
    const refusal = [bob, carol].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match((refusal.reason as WorkflowUpdateFailedError).cause?.message ?? '', /already been answered|no approval is pending.*approved by/);

    const report = await reportOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.equal(report.finalStatus?.approvals.length, 1);
    assert.notEqual(report.finalStatus?.approvals[0].by, 'alice');
  });

  test('a rotation started on Temporal with beforeDelete: false and no disabledBy still waits at the gate', async () => {
    const clusterId = clusterIds()[1];
    const workflowId = clusterRotationWorkflowId(clusterId);
    const { handle } = await startRotation(client, input(clusterId, { approvals: { beforeDelete: false } }));
    const gated = await atGate(clusterId);
    assert.equal(gated.plan?.gates.beforeDelete, true);
    assert.deepEqual(gated.timeline.filter((e) => e.event === GATE_KEPT_NOTE).map((e) => e.detail), ['beforeDelete']);
    assert.equal(deletes(clusterId), 0);
    await refusedWith(rawUpdate(workflowId, 'approve', { by: 'alice' }), /four-eyes/);
    await rawUpdate(workflowId, 'approve', { by: 'bob' });
    const report = await reportOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.ok(deletes(clusterId) > 0);
    recordFixture('foureyes-gate-kept', await handle.fetchHistory());
  });

  test('a resumed run keeps the original requester for four-eyes and records who resumed it', async () => {
    const clusterId = clusterIds()[2];
    const workflowId = clusterRotationWorkflowId(clusterId);
    const first = await startRotation(client, input(clusterId));
    await atGate(clusterId);
    await first.handle.terminate('test: the worker host died');

    const resumed = await resumeRotation(client, clusterId, { resumedBy: 'bob' });
    assert.notEqual(resumed.runId, first.runId);
    const status = await waitForRotationStatus(client, clusterId,
      (s) => s.phase === 'AwaitingApproval' && s.timeline[0]?.detail?.startsWith('resumed') === true, 'the resumed run at its gate', 20_000);
    assert.deepEqual([status.requestedBy, status.resumedBy], ['alice', 'bob']);
    assert.equal(status.timeline[0]?.detail, `resumed from run ${first.runId} by bob`);
    const history = await resumed.handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const startInput = JSON.parse(Buffer.from(started!.data!).toString()) as ClusterRotationInput;
    assert.deepEqual([startInput.requestedBy, startInput.resumedBy], ['alice', 'bob']);

    await refusedWith(rawUpdate(workflowId, 'approve', { by: 'alice' }), 'the requester (alice) cannot approve their own rotation: four-eyes');
    await rawUpdate(workflowId, 'reject', { by: 'carol', reason: 'not today' });
    assert.equal((await reportOf(clusterId)).phase, 'Rejected');
    assert.equal(deletes(clusterId), 0);
  });

  test("a fleet: its requester answers neither its clusters' gates nor the canary gate; the canary gate is answered once", async () => {
    const [canaryId, restId] = clusterIds().slice(3, 5);
    const name = 'foureyes';
    const workflowId = fleetRotationWorkflowId(name);
    await startFleetRotation(client, {
      name, requestedBy: 'alice', selector: { clusterIds: [canaryId, restId] }, waves: { canary: 1 },
      rotation: { tuning: FAST_RETRIES },
    });
    // No second person has approved anything: the canary cluster keeps its own gate.
    await atGate(canaryId);
    await refusedWith(rawUpdate(clusterRotationWorkflowId(canaryId), 'approve', { by: 'alice' }), /the requester \(alice\) cannot approve/);
    await rawUpdate(clusterRotationWorkflowId(canaryId), 'approve', { by: 'bob' });

    await waitFor('the canary gate', () => fleetStatus(name), (s) => s.pendingGate?.gate === 'canary', 30_000, 50);
    await refusedWith(rawUpdate(workflowId, 'approve', { by: 'alice' }), 'the requester (alice) cannot approve their own fleet rotation: four-eyes');
    await refusedWith(rawUpdate(workflowId, 'reject', { by: ' alice', reason: 'x' }), /the requester \(alice\) cannot reject/);
    await rawUpdate(workflowId, 'approve', { by: 'bob' });
    await refusedWith(rawUpdate(workflowId, 'approve', { by: 'carol' }), /already been answered: approved by bob/);

    const report = await client.workflow.getHandle(workflowId).result() as FleetReport;
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline));
    assert.deepEqual(report.approvals.map((a) => a.by), ['bob']);
    // The cluster after the gate ran with its gate switched off by the fleet's approved gate.
    const childHistory = await client.workflow.getHandle(clusterRotationWorkflowId(restId)).fetchHistory();
    const payload = childHistory.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const childInput = JSON.parse(Buffer.from(payload!.data!).toString()) as ClusterRotationInput;
    assert.deepEqual(childInput.approvals, { beforeDelete: false, beforeRecycle: false, disabledBy: `fleet:${workflowId}` });
  });

  test('a fleet with an empty selector and no all: true refuses to select', async () => {
    const name = 'foureyes-everything';
    await startFleetRotation(client, { name, requestedBy: 'alice', selector: {} });
    const report = await client.workflow.getHandle(fleetRotationWorkflowId(name)).result() as FleetStatus;
    assert.equal(report.phase, 'Failed');
    assert.match(report.error ?? '', /the selector is empty, which selects every cluster of the account; say so with selector.all: true/);
    assert.equal(report.clusters.length, 0);
  });
});
