// The rotation's ledger (workflows/clusterRotation/ledger.ts) without Temporal: status, phases,
// timeline and its limit, progress counts, resume, notDone and the report.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { RotationPhase } from '../common/names.js';
import type { ClusterRotationInput, ClusterSnapshot, ResumeState } from '../common/types.js';
import { RotationLedger, TIMELINE_LIMIT, type LedgerListener } from '../workflows/clusterRotation/ledger.js';
import { FakeCluster } from './support/fakeActivities.js';

const input: ClusterRotationInput = {
  clusterId: 4, requestedBy: 'alice', restart: { scope: 'all' }, recycle: { mode: 'rolling' },
};

/** A ledger on a fixed clock that records what it asks its listener to publish. */
function ledgerFor(extra: Partial<ClusterRotationInput> = {}) {
  const published = { phases: [] as RotationPhase[], changes: 0 };
  const listener: LedgerListener = {
    phaseSet: (phase) => published.phases.push(phase),
    changed: () => published.changes++,
  };
  let tick = 0;
  const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString();
  return { ledger: new RotationLedger({ ...input, ...extra }, listener, now), published };
}

async function snapshotOf(workloads = 2, nodes = 2): Promise<ClusterSnapshot> {
  return new FakeCluster(4, 'c4', 'us-ord', { workloads, nodes }).activities().snapshotCluster({ clusterId: 4, restartScope: 'all' });
}

function resumeState(snapshot: ClusterSnapshot | null, extra: Partial<ResumeState> = {}): ResumeState {
  return {
    previousRunId: 'run-1', snapshot, approvals: [], completedSteps: [], deleted: null, restarted: [], recycled: [],
    newFingerprint: null, ...extra,
  };
}

describe('rotation ledger: status and timeline', () => {
  test('a new ledger starts Snapshotting with the input echoed and nothing done', () => {
    const { ledger } = ledgerFor({ fleetRotationId: 'rotate-fleet-x', dryRun: true });
    assert.equal(ledger.status.phase, 'Snapshotting');
    assert.equal(ledger.status.fleetRotationId, 'rotate-fleet-x');
    assert.equal(ledger.status.dryRun, true);
    assert.deepEqual([ledger.status.completedSteps, ledger.status.timeline], [[], []]);
  });

  test('setPhase writes the timeline only on a change or with a detail, and always tells the listener', () => {
    const { ledger, published } = ledgerFor();
    ledger.setPhase('Snapshotting', 'snapshot', 'started');
    ledger.setPhase('Snapshotting', 'snapshot');
    ledger.setPhase('DeletingTokens', 'deleteTokens');
    assert.deepEqual(ledger.status.timeline.map((e) => [e.event, e.phase, e.step, e.detail]), [
      ['phase Snapshotting', 'Snapshotting', 'snapshot', 'started'],
      ['phase DeletingTokens', 'DeletingTokens', 'deleteTokens', undefined],
    ]);
    assert.deepEqual(published.phases, ['Snapshotting', 'Snapshotting', 'DeletingTokens']);
    assert.equal(published.changes, 3);
  });

  test('block records the error and the Blocked phase; finish clears the gate and the pause', () => {
    const { ledger } = ledgerFor();
    ledger.block('verify', { type: 'OldTokenStillAccepted', message: 'old admin token still accepted' });
    assert.equal(ledger.status.phase, 'Blocked');
    assert.deepEqual(ledger.status.lastError, {
      step: 'verify', type: 'OldTokenStillAccepted', message: 'old admin token still accepted', at: ledger.status.lastError?.at,
    });
    assert.deepEqual(ledger.status.timeline.at(-1)?.event, 'blocked');
    assert.equal(ledger.status.timeline.at(-1)?.detail, 'OldTokenStillAccepted: old admin token still accepted');

    ledger.status.paused = true;
    ledger.status.pendingGate = { gate: 'beforeRecycle', since: 'a', timeoutAt: 'b' };
    ledger.finish('Cancelled', 'aborted by ops: late');
    assert.deepEqual([ledger.status.phase, ledger.status.step, ledger.status.paused, ledger.status.pendingGate], ['Cancelled', null, false, null]);
    assert.equal(ledger.isTerminal(), true);
  });

  test('Linode requests from activity results add up by endpoint, in the status and the report', () => {
    const { ledger } = ledgerFor();
    assert.equal(ledger.status.linodeCalls, undefined, 'absent until one is counted');
    ledger.countLinodeCalls({ 'GET /lke/clusters/:id': 1, 'GET /lke/clusters/:id/kubeconfig': 2 });
    ledger.countLinodeCalls({ 'GET /lke/clusters/:id/kubeconfig': 3, bogus: -1, other: 'x' });
    ledger.countLinodeCalls(undefined);
    assert.deepEqual(ledger.status.linodeCalls, { total: 6, byEndpoint: { 'GET /lke/clusters/:id': 1, 'GET /lke/clusters/:id/kubeconfig': 5 } });
    assert.deepEqual(ledger.report().linodeCalls, ledger.status.linodeCalls);
  });

  test('the timeline keeps its first entry and the latest ones, up to the limit', () => {
    const { ledger } = ledgerFor();
    ledger.setPhase('Snapshotting', 'snapshot', 'started');
    for (let i = 0; i < TIMELINE_LIMIT + 50; i++) ledger.note(`event ${i}`);
    const { timeline } = ledger.status;
    assert.equal(timeline.length, TIMELINE_LIMIT);
    assert.equal(timeline[0].detail, 'started');
    assert.equal(timeline.at(-1)?.event, `event ${TIMELINE_LIMIT + 49}`);
    assert.equal(timeline[1].event, 'event 51', 'the oldest entries after the first are dropped');
  });

  test('the summary every control answers says where the run is', () => {
    const { ledger } = ledgerFor();
    ledger.setPhase('RestartingWorkloads', 'restartWorkloads');
    ledger.status.paused = true;
    assert.deepEqual(ledger.summary('paused'), { phase: 'RestartingWorkloads', step: 'restartWorkloads', paused: true, message: 'paused' });
  });
});

describe('rotation ledger: plan, progress and resume', () => {
  test('the plan sets the totals; results move the counts', async () => {
    const { ledger, published } = ledgerFor();
    const snapshot = await snapshotOf(3, 2);
    const plan = ledger.applyPlan(snapshot);
    assert.equal(ledger.status.label, 'c4');
    assert.deepEqual(ledger.status.progress, {
      tokensDeleted: 0, tokensTotal: 4, workloadsRestarted: 0, workloadsTotal: 3, nodesRecycled: 0, nodesTotal: 2,
    });
    ledger.recordDeleted({ deleted: ['a', 'b', 'c'], alreadyGone: ['d'], conflicts: [] });
    ledger.recordRestart({ workload: plan.restartWorkloads[0], patched: true });
    ledger.recordRecycle({ nodeId: plan.recycleNodes[0].nodeId, oldInstanceId: 100, newInstanceId: 9000, skipped: false });
    assert.deepEqual(ledger.status.progress, {
      tokensDeleted: 4, tokensTotal: 4, workloadsRestarted: 1, workloadsTotal: 3, nodesRecycled: 1, nodesTotal: 2,
    });
    assert.equal(published.changes, 2, 'restart and recycle progress are published');
    assert.equal(ledger.workloadSettled(plan.restartWorkloads[0]), true);
    assert.equal(ledger.workloadSettled(plan.restartWorkloads[1]), false);
    ledger.skipItem('node 7-a1 (pool 7, instance 101)');
    assert.equal(ledger.nodeSettled(plan.recycleNodes[1]), true, 'a skipped node is not recycled again');
  });

  test('resume takes over the earlier run: approvals, steps, results, and the counts follow', async () => {
    const { ledger } = ledgerFor();
    const snapshot = await snapshotOf(2, 1);
    ledger.resumeFrom(resumeState(snapshot, {
      approvals: [{ gate: 'beforeDelete', by: 'bob', at: 'then' }],
      completedSteps: ['snapshot', 'approval', 'deleteTokens'],
      deleted: { deleted: ['a', 'b'], alreadyGone: ['c'], conflicts: [] },
      restarted: [{ workload: snapshot.workloads[0], patched: true }],
    }));
    assert.equal(ledger.snapshot, snapshot);
    assert.equal(ledger.hasApproval('beforeDelete'), true);
    assert.equal(ledger.hasApproval('beforeRecycle'), false);
    assert.equal(ledger.done('deleteTokens'), true);
    ledger.applyPlan(snapshot);
    assert.deepEqual([ledger.status.progress.tokensDeleted, ledger.status.progress.workloadsRestarted], [3, 1]);
  });

  test('resume state with progress but no snapshot is refused, non-retryable', () => {
    const { ledger } = ledgerFor();
    assert.throws(() => ledger.resumeFrom(resumeState(null, { completedSteps: ['deleteTokens'] })), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'InvalidResumeState');
      assert.equal(err.nonRetryable, true);
      return true;
    });
    assert.doesNotThrow(() => ledgerFor().ledger.resumeFrom(resumeState(null, { completedSteps: ['snapshot'] })));
  });

  test('complete and markSkipped record a step once', () => {
    const { ledger } = ledgerFor();
    ledger.complete('verify');
    ledger.complete('verify');
    ledger.markSkipped('restartWorkloads');
    ledger.markSkipped('restartWorkloads');
    assert.deepEqual([ledger.status.completedSteps, ledger.status.skippedSteps], [['verify'], ['restartWorkloads']]);
    assert.deepEqual(ledger.status.timeline.map((e) => e.event), ['skipped restartWorkloads', 'skipped restartWorkloads']);
  });
});

describe('rotation ledger: notDone and the report', () => {
  test('before a plan only the snapshot is missing; a dry run changed nothing', async () => {
    assert.deepEqual(ledgerFor().ledger.notDone(), ['snapshot']);
    const dry = ledgerFor({ dryRun: true }).ledger;
    dry.applyPlan(await snapshotOf());
    assert.deepEqual(dry.notDone(), ['dry run: nothing was changed']);
  });

  test('one entry per step or item left, saying which were skipped and why nodes were left', async () => {
    const { ledger } = ledgerFor();
    const snapshot = await snapshotOf(2, 2);
    const plan = ledger.applyPlan(snapshot);
    for (const step of ['deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify'] as const) ledger.complete(step);
    ledger.markSkipped('deliverKubeconfig');
    ledger.recordRestart({ workload: plan.restartWorkloads[0], patched: true });
    ledger.skipItem('StatefulSet apps/w1');
    ledger.recycleDeclined = 'recycle gate rejected or timed out';
    assert.deepEqual(ledger.notDone(), [
      'deliverKubeconfig (skipped)',
      'restartWorkloads: StatefulSet apps/w1 (skipped)',
      'recycleNodes: node 7-a0 (pool 7, instance 100) (recycle gate rejected or timed out)',
      'recycleNodes: node 7-a1 (pool 7, instance 101) (recycle gate rejected or timed out)',
    ]);
  });

  test('verify passed: "verified" only when the old token was proven rejected, "not proven" otherwise', () => {
    const verified = { nodesReady: 1, serviceAccountsWithNewToken: [], newFingerprint: 'fp' };
    const proven = ledgerFor().ledger;
    proven.recordVerified({ ...verified, oldTokenRejected: true });
    assert.equal(proven.status.oldCredentials, 'rejected');
    assert.equal(proven.status.timeline.at(-1)?.event, 'credentials rotated and verified');
    assert.equal(proven.report().oldCredentials, 'rejected');

    const unproven = ledgerFor().ledger;
    unproven.recordVerified({ ...verified, oldTokenRejected: 'unchecked' });
    assert.equal(unproven.status.oldCredentials, 'notProven');
    assert.equal(unproven.status.timeline.at(-1)?.event, 'credentials rotated; old token rejection not proven');
    assert.equal(unproven.report().oldCredentials, 'notProven');
    assert.equal(ledgerFor().ledger.status.oldCredentials, null, 'null before verify');
  });

  test('user-owned token Secrets skipped at verify are named in the status, the timeline and notDone', async () => {
    const { ledger } = ledgerFor();
    ledger.applyPlan(await snapshotOf(0, 0));
    for (const step of ['deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify', 'deliverKubeconfig'] as const) ledger.complete(step);
    ledger.skipTokenSecrets([{ name: 'ci-deployer-token', owner: 'user' }]);
    ledger.skipTokenSecrets([{ name: 'ci-deployer-token', owner: 'user' }]);
    assert.deepEqual(ledger.status.skippedTokenSecrets, ['ci-deployer-token'], 'once');
    assert.match(ledger.status.timeline.at(-1)?.event ?? '', /skipped user-owned token Secrets: ci-deployer-token/);
    assert.deepEqual(ledger.notDone(), ['verify: user-owned token Secret ci-deployer-token not renewed (skipped)']);
  });

  test('the report carries the results and the final status', async () => {
    const { ledger } = ledgerFor();
    ledger.applyPlan(await snapshotOf(0, 0));
    ledger.newFingerprint = 'fp-new';
    ledger.finish('Completed');
    const report = ledger.report();
    assert.equal(report.phase, 'Completed');
    assert.equal(report.newFingerprint, 'fp-new');
    assert.equal(report.finalStatus, ledger.status);
    assert.deepEqual(report.notDone, ['deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify', 'deliverKubeconfig']);
  });
});

describe('rotation ledger: the credential window', () => {
  test('a superseded kubeconfig is remembered once, await and verify are open again, and the timeline says roll forward', () => {
    const { ledger } = ledgerFor();
    for (const step of ['snapshot', 'deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify'] as const) ledger.complete(step);
    ledger.newFingerprint = 'fp-1';
    ledger.supersede('fp-1', 'KubeconfigRevoked: 401');
    ledger.supersede('fp-1', 'KubeconfigRevoked: 401 again');
    assert.deepEqual(ledger.supersededFingerprints, ['fp-1']);
    assert.equal(ledger.newFingerprint, null);
    assert.deepEqual(ledger.status.completedSteps, ['snapshot', 'deleteTokens', 'regenerate']);
    const entry = ledger.status.timeline.at(-1);
    assert.equal(entry?.event, 'roll forward: await a fresh kubeconfig');
    assert.equal(entry?.detail, 'the new kubeconfig fp-1 was superseded (KubeconfigRevoked: 401 again)');
  });

  test('a pending pause shows in the answers and ends with the run', () => {
    const { ledger } = ledgerFor();
    assert.equal('pausePending' in ledger.summary('x'), false, 'absent unless pending');
    ledger.status.pausePending = true;
    ledger.status.autoRetryAt = '2026-01-01T00:01:00.000Z';
    assert.equal(ledger.summary('pause pending').pausePending, true);
    ledger.finish('Cancelled');
    assert.equal(ledger.status.pausePending, false);
    assert.equal(ledger.status.autoRetryAt, null);
  });

  test('a snapshot whose kubeconfig is rejected plans a roll-forward and says why', async () => {
    const { ledger } = ledgerFor();
    const rejected: ClusterSnapshot = {
      ...(await snapshotOf()), tokenSecrets: [], nodes: [], workloads: [], credentials: 'rejected',
    };
    const plan = ledger.applyPlan(rejected);
    assert.match(plan.rollForward ?? '', /^the current kubeconfig is rejected \(401\): rolling forward: regenerate, await, verify, deliver/);
    assert.deepEqual([plan.deleteSecrets, plan.restartWorkloads], [[], []]);
    assert.equal(plan.recycleNodes.length, 2, 'the pools come from the Linode API');
    assert.equal(ledger.applyPlan(await snapshotOf()).rollForward, undefined, 'a working cluster plans as usual');
  });

  test('a snapshot taken while a regeneration is under way plans an ungated roll-forward with no regenerate of its own', async () => {
    const { ledger } = ledgerFor();
    const regenerating: ClusterSnapshot = {
      ...(await snapshotOf()), adminTokenFingerprint: null, tokenSecrets: [], nodes: [], workloads: [], credentials: 'regenerating',
    };
    const ungated = ledger.applyPlan(regenerating, true);
    assert.match(ungated.rollForward ?? '', /^a regeneration is under way .*: rolling forward: await, verify, deliver/);
    assert.equal(ungated.gates.beforeDelete, false, 'nothing working is left to delete: no gate');
    assert.equal(ledger.applyPlan(regenerating, false).gates.beforeDelete, true, 'before the patch the gate stayed');
    assert.equal(ledger.applyPlan(await snapshotOf(), true).gates.beforeDelete, true, 'a working cluster keeps its gate');
  });
});
