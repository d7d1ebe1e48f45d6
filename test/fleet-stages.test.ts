// Staged fleets on a real dev server and worker: the real fleetRotation workflow over the stand-in
// child rotation (test/support/fleetStubWorkflows.ts) and a scripted soak health check
// (FakeStageHealth). This file: stages by count, percent, region and tag, the waves shorthand as
// two stages, four-eyes on a stage's gate by Update and by Signal, a soak finding halting the
// fleet, and stages the workflow refuses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { sendFleetControl, startFleetRotation } from '../client/index.js';
import { fleetRotationWorkflowId } from '../common/names.js';
import type { FleetStatus } from '../common/types.js';
import { approveSignal } from '../workflows/definitions.js';
import { range, waitFor } from './support/fleetFakes.js';
import { useFleetStub } from './support/fleetHarness.js';

const fleetStub = useFleetStub();
const { linode, work, health, statusOf, waitForPhase, resultOf, fleet } = fleetStub;

const stageOf = (status: FleetStatus, clusterId: number): string | undefined =>
  status.stages?.[status.clusters.find((c) => c.id === clusterId)!.wave]?.name;

/** Why an Update was refused: the validator's reason, as the client sees it. */
const refusedWith = (pattern: RegExp) => (err: unknown) =>
  err instanceof WorkflowUpdateFailedError && pattern.test(String((err.cause as Error | undefined)?.message ?? err.cause));

describe('fleet rotation in stages', { timeout: 240_000 }, () => {
  test('stages by count, percent, region and tag, in order, each cluster in exactly one; soaks check the completed clusters', async () => {
    work.reset();
    health.reset();
    // 10 clusters: 1000-1005 in us-ord, 1006-1009 in us-sea; 1008 and 1009 also tagged db
    linode.add('staged', range(1000, 6), 'us-ord');
    linode.add('staged', range(1006, 2), 'us-sea');
    for (const id of [1008, 1009]) linode.clusters.push({ ...linode.clusters.find((c) => c.id === 1000)!, id, label: `lke-${id}`, region: 'us-sea', tags: ['staged', 'db'] });
    await startFleetRotation(fleetStub.client, fleet('staged', 'staged', {
      concurrency: 3,
      stages: [
        { name: 'canary', select: { count: 1 }, soakMs: 1_000 },
        { name: 'tenth', select: { percent: 10 } },
        { name: 'databases', select: { tag: 'db' }, soakMs: 1_000 },
        { name: 'seattle', select: { region: 'us-sea' } },
        { name: 'rest', select: { rest: true } },
      ],
      gatesDisabledBy: 'root-admin',
    }));
    const report = await resultOf('staged');
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline));
    assert.deepEqual(report.stages?.map((s) => [s.name, s.clusters, s.state]), [
      ['canary', 1, 'done'], ['tenth', 1, 'done'], ['databases', 2, 'done'], ['seattle', 2, 'done'], ['rest', 4, 'done'],
    ]);
    assert.deepEqual(range(1000, 10).map((id) => stageOf(report, id)), [
      'canary', 'tenth', 'rest', 'rest', 'rest', 'rest', 'seattle', 'seattle', 'databases', 'databases',
    ]);
    // each stage's clusters started only after the stage before had ended
    const started = (id: number) => Date.parse(report.clusters.find((c) => c.id === id)!.startedAt!);
    const finished = (id: number) => Date.parse(report.clusters.find((c) => c.id === id)!.finishedAt!);
    assert.ok(started(1001) >= finished(1000) + 1_000, 'the canary soaked before the next stage');
    assert.ok(Math.min(started(1006), started(1007)) >= Math.max(finished(1008), finished(1009)) + 1_000, 'the databases soaked before seattle');
    assert.ok(Math.min(...[1002, 1003, 1004, 1005].map(started)) >= Math.max(finished(1006), finished(1007)));
    // a soak checks at its start (the baseline), every fifth of it (at least 1 s) and at its end
    assert.ok(health.checksOf('canary') >= 2, `canary checked ${health.checksOf('canary')} times`);
    assert.deepEqual(health.checks.filter((c) => c.stage === 'databases').map((c) => c.clusterIds), [[1008, 1009], [1008, 1009]]);
    assert.deepEqual(health.checks.filter((c) => c.stage === 'canary').map((c) => c.withBaseline), [false, true]);
    assert.equal(report.stages?.[0].soak?.findings.length, 0);
    assert.ok(report.timeline.some((e) => e.event === 'soak passed' && /stage canary: 2 check/.test(e.detail ?? '')));
  });


  test('the waves shorthand runs as two stages, canary then rest, with the canary gate and its soak', async () => {
    work.reset();
    health.reset();
    linode.add('shorthand', range(1100, 4));
    await startFleetRotation(fleetStub.client, fleet('shorthand', 'shorthand', { waves: { canary: 2 }, soakMs: 1_200 }));
    const gated = await waitForPhase('shorthand', 'AwaitingApproval');
    assert.deepEqual(gated.stages?.map((s) => [s.name, s.select, s.clusters, s.state, s.approval, s.gateKind]), [
      ['canary', 'first 2', 2, 'awaitingApproval', true, 'canary'], ['rest', 'the rest', 2, 'pending', false, 'stage'],
    ]);
    assert.deepEqual(gated.pendingGate && [gated.pendingGate.gate, gated.pendingGate.stage], ['canary', 'canary']);
    assert.equal(health.checksOf('canary') >= 2, true, 'the soak checked the canary clusters');
    await sendFleetControl(fleetStub.client, 'shorthand', { update: 'approve', input: { by: 'bob', stage: 'canary' } });
    const report = await resultOf('shorthand');
    assert.equal(report.phase, 'Completed');
    assert.deepEqual(report.stages?.[0].approvedBy?.by, 'bob');
  });


  test("four-eyes on a stage's gate by Update and by Signal; an approval for another stage is refused", async () => {
    work.reset();
    health.reset();
    linode.add('eyes', range(1200, 3));
    await startFleetRotation(fleetStub.client, fleet('eyes', 'eyes', {
      stages: [{ name: 'first', select: { count: 1 } }, { name: 'second', select: { count: 1 }, approval: true }, { name: 'last', select: { rest: true } }],
    }));
    const gated = await waitForPhase('eyes', 'AwaitingApproval');
    assert.deepEqual([gated.pendingGate?.gate, gated.pendingGate?.stage], ['stage', 'second']);
    assert.deepEqual(gated.stages?.map((s) => s.state), ['done', 'awaitingApproval', 'pending']);
    assert.equal(work.callsFor([1202]), 0, 'nothing of the last stage started');

    await assert.rejects(sendFleetControl(fleetStub.client, 'eyes', { update: 'approve', input: { by: 'alice' } }),
      refusedWith(/requester \(alice\) cannot approve their own fleet rotation/));
    await assert.rejects(sendFleetControl(fleetStub.client, 'eyes', { update: 'approve', input: { by: 'ALICE ' } }),
      refusedWith(/cannot approve their own/));
    await assert.rejects(sendFleetControl(fleetStub.client, 'eyes', { update: 'approve', input: { by: 'bob', stage: 'first' } }),
      refusedWith(/stage first is not waiting for approval: stage second is/));
    await assert.rejects(sendFleetControl(fleetStub.client, 'eyes', { update: 'approve', input: { by: 'bob', stage: 'nope' } }),
      refusedWith(/no stage 'nope'/));

    const handle = fleetStub.client.workflow.getHandle(fleetRotationWorkflowId('eyes'));
    await handle.signal(approveSignal, { by: 'alice' });
    const refused = await waitFor('the refused signal', async () => (await statusOf('eyes')).refusedSignals?.at(-1));
    assert.match(refused.reason, /requester \(alice\) cannot approve/);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /Waiting for approval of stage second/);
    assert.match(metadata.currentDetails ?? '', /\| second \| first 1 \| 1 \| awaitingApproval \| approval \| - \|/);
    assert.equal((await statusOf('eyes')).phase, 'AwaitingApproval', 'the refused signal changed nothing');

    await handle.signal(approveSignal, { by: 'bob', stage: 'second', comment: 'second stage fine' });
    const report = await resultOf('eyes');
    assert.equal(report.phase, 'Completed');
    assert.deepEqual([report.stages?.[1].approvedBy?.by, report.stages?.[1].approvedBy?.comment], ['bob', 'second stage fine']);
    assert.deepEqual(report.approvals.map((a) => a.by), ['bob']);
    await assert.rejects(sendFleetControl(fleetStub.client, 'eyes', { update: 'approve', input: { by: 'carol' } }), /ended|completed/i);
  });


  test('a soak finding halts the fleet with the cluster and reason named; resume goes on', async () => {
    work.reset();
    health.reset();
    linode.add('soakhalt', range(1300, 4));
    health.findings.set(1301, 'node lke-1301-a is NotReady');
    await startFleetRotation(fleetStub.client, fleet('soakhalt', 'soakhalt', {
      stages: [{ name: 'pilot', select: { count: 2 }, soakMs: 2_000 }, { name: 'rest', select: { rest: true } }],
      gatesDisabledBy: 'root-admin',
    }));
    const halted = await waitForPhase('soakhalt', 'Halted');
    assert.equal(halted.haltReason, 'soak of stage pilot: cluster 1301: node lke-1301-a is NotReady');
    assert.deepEqual(halted.stages?.map((s) => s.state), ['halted', 'pending']);
    assert.deepEqual(halted.stages?.[0].soak?.findings.map((f) => [f.clusterId, f.reason]), [[1301, 'node lke-1301-a is NotReady']]);
    assert.equal(halted.stages?.[0].soak?.checks, 1, 'the first check found it');
    assert.equal(work.callsFor([1302, 1303]), 0, 'nothing of the next stage started');
    const handle = fleetStub.client.workflow.getHandle(fleetRotationWorkflowId('soakhalt'));
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /Halted: soak of stage pilot: cluster 1301: node lke-1301-a is NotReady/);
    assert.match(metadata.currentDetails ?? '', /Soak of stage \*\*pilot\*\*: cluster 1301: node lke-1301-a is NotReady/);
    assert.ok(halted.timeline.some((e) => e.event === 'halted' && /cluster 1301/.test(e.detail ?? '')));

    await sendFleetControl(fleetStub.client, 'soakhalt', { update: 'resume', input: { by: 'dave' } });
    const report = await resultOf('soakhalt');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 4);
    assert.equal(report.stages?.[0].soak?.findings.length, 1, 'the finding stays on record');
  });


  test('stages the API would refuse end the fleet Failed with the reason, before selecting', async () => {
    linode.add('badstages', [1400]);
    await startFleetRotation(fleetStub.client, fleet('badstages', 'badstages', {
      stages: [{ select: { rest: true } }, { select: { percent: 0 } }],
    }));
    const report = await resultOf('badstages');
    assert.equal(report.phase, 'Failed');
    assert.match(report.error ?? '', /^invalid stages: stages\.0\.select: only the last stage may take the rest; stages\.1\.select: select\.percent must be from 1 to 100/);
    assert.equal(report.clusters.length, 0);
  });
});
