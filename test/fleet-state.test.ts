// The fleet's bookkeeping and control decisions without Temporal (workflows/fleetRotation/state.ts
// and controls.ts): waves, the error budget, phases, halting, the outcome, and refusal messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FleetRotationInput } from '../common/types.js';
import {
  approve, decideAbort, decideApprove, decideClusterFinished, decidePause, decideReject, decideResume, decideRetry,
} from '../workflows/fleetRotation/controls.js';
import { childInput } from '../workflows/fleetRotation/children.js';
import { FleetLedger, allowedFailures, budgetOf, initialState, overBudget, planWaves } from '../workflows/fleetRotation/state.js';
import type { Decision } from '../workflows/decision.js';
import { range } from './support/fleetFakes.js';

const reasonOf = (decision: Decision): string | null => (decision.ok ? null : decision.reason);
const selectedClusters = (count: number) => range(1, count).map((id) => ({ id, label: `lke-${id}`, region: 'us-iad', k8sVersion: '1.31' }));

/** A fleet run that selected `count` clusters (canary 1) and started the first `running` of them. */
function fleetWith(count: number, running: number, extra: Partial<FleetRotationInput> = {}): FleetLedger {
  const fleet = new FleetLedger({ name: 'f', requestedBy: 'alice', selector: {}, ...extra }, 'rotate-fleet-f');
  fleet.select(selectedClusters(count));
  for (const cluster of fleet.state.clusters.slice(0, running)) {
    cluster.phase = 'Running';
    cluster.workflowId = `rotate-cluster-${cluster.id}`;
    cluster.runId = `run-${cluster.id}`;
  }
  return fleet;
}

describe('fleet plan and budget rules', () => {
  const selected = selectedClusters(5);

  test('a canary wave only when it leaves clusters for a second wave', () => {
    assert.deepEqual(planWaves(selected, 1).clusters.map((c) => c.wave), [0, 1, 1, 1, 1]);
    assert.deepEqual(planWaves(selected, 2).clusters.map((c) => c.wave), [0, 0, 1, 1, 1]);
    assert.equal(planWaves(selected, 0).waveCount, 1);
    assert.equal(planWaves(selected, 5).waveCount, 1);
    assert.equal(planWaves([], 1).waveCount, 0);
  });

  test('the budget counts failures beyond those accepted, in count or percent of the fleet', () => {
    assert.equal(allowedFailures({ count: 2 }, 100), 2);
    assert.equal(allowedFailures({ percent: 10 }, 25), 2, 'rounded down: 10% of 25 allows 2');
    const state = { ...initialState(), ...planWaves(selected, 0) };
    state.clusters[0].phase = 'Failed';
    state.clusters[1].phase = 'Cancelled';
    const input: FleetRotationInput = { name: 'x', requestedBy: 'a', selector: {}, errorBudget: { count: 1 } };
    assert.equal(overBudget(state, input), true);
    state.acceptedFailures = 1;
    assert.equal(overBudget(state, input), false);
    state.clusters[1].phase = 'Skipped';
    assert.deepEqual(budgetOf(state, input), { allowed: 1, failed: 1, accepted: 1 });
    assert.equal(overBudget({ ...state, acceptedFailures: 0 }, { ...input, errorBudget: undefined }), true, 'default budget: none');
  });
});

describe('fleet ledger: phases, halting and the outcome', () => {
  test('the phase follows selection, abort, halt, pause, the gate and the soak, in that order', () => {
    const fleet = new FleetLedger({ name: 'f', requestedBy: 'alice', selector: {} }, 'rotate-fleet-f');
    assert.equal(fleet.phase(), 'Selecting');
    fleet.select(selectedClusters(3));
    assert.equal(fleet.phase(), 'Running');
    fleet.soakUntil = 'later';
    assert.equal(fleet.phase(), 'Soaking');
    fleet.gate = { gate: 'canary', since: 'a', timeoutAt: 'b' };
    assert.equal(fleet.phase(), 'AwaitingApproval');
    fleet.state.paused = true;
    assert.equal(fleet.phase(), 'Paused');
    fleet.halt('too many failures');
    assert.equal(fleet.phase(), 'Halted');
    fleet.state.aborted = { by: 'ops', reason: 'freeze' };
    assert.equal(fleet.phase(), 'Aborting');
    assert.match(fleet.details(), /^\*\*Aborting\*\*, wave 1 of 2: Pending 3\n\nHalted: too many failures$/);
  });

  test('a failure past the budget halts while clusters are pending; a second report changes nothing', () => {
    const fleet = fleetWith(4, 2);
    const [first, second] = fleet.state.clusters;
    fleet.finish(first, 'Failed', 'boom');
    assert.equal(fleet.state.halted, true);
    assert.equal(fleet.state.haltReason, '1 failed, error budget allows 0');
    const changes = fleet.changes;
    fleet.finish(first, 'Completed');
    assert.equal(first.phase, 'Failed', 'only a running cluster finishes');
    assert.equal(fleet.changes, changes);
    fleet.finish(second, 'Completed');
    assert.deepEqual([fleet.running(), fleet.hasPending(), fleet.startable(1).length], [0, true, 2]);
  });

  test('skipping the failures is within budget again; the outcome counts what is left', () => {
    const fleet = fleetWith(2, 2, { waves: { canary: 0 } });
    const [first, second] = fleet.state.clusters;
    second.phase = 'Completed';
    fleet.finish(first, 'Failed', 'boom');
    assert.equal(fleet.state.halted, false, 'nothing pending: no halt');
    fleet.conclude();
    assert.equal(fleet.finalPhase, 'CompletedWithFailures');
    assert.equal(fleet.state.timeline.at(-1)?.event, 'CompletedWithFailures');
  });

  test('an abort ends Aborted, a rejection Rejected with its reason; never-started clusters say so', () => {
    const aborted = fleetWith(3, 1);
    aborted.state.aborted = { by: 'ops', reason: 'freeze' };
    aborted.markNotStarted();
    aborted.conclude();
    assert.deepEqual([aborted.finalPhase, aborted.error, aborted.status().counts.NotStarted], ['Aborted', null, 2]);

    const rejected = fleetWith(3, 0);
    rejected.rejected = true;
    rejected.state.aborted = { by: 'bob', reason: 'canary broke ingress' };
    rejected.conclude();
    assert.deepEqual([rejected.finalPhase, rejected.error, rejected.status().phase], ['Rejected', 'canary broke ingress', 'Rejected']);
  });

  test('a failed selection ends the fleet Failed', () => {
    const fleet = new FleetLedger({ name: 'f', requestedBy: 'alice', selector: {} }, 'rotate-fleet-f');
    fleet.fail('selection failed: clusters 99999 not found');
    assert.deepEqual([fleet.isOver(), fleet.status().phase, fleet.status().error],
      [true, 'Failed', 'selection failed: clusters 99999 not found']);
  });
});

describe('fleet controls: decisions', () => {
  test('approve needs the canary gate; pause and resume follow the pause and the halt', () => {
    const fleet = fleetWith(3, 1);
    assert.equal(reasonOf(decideApprove(fleet, { by: 'bob' })), 'no approval is pending: the fleet is Running');
    fleet.gate = { gate: 'canary', since: 'a', timeoutAt: 'b' };
    assert.equal(reasonOf(decideApprove(fleet, { by: 'bob' })), null);
    // a Signal may come without input or with part of it: refused, never a crash in the effect
    assert.equal(reasonOf(decideApprove(fleet, undefined)), "approve needs 'by': who decides");
    assert.equal(reasonOf(decideReject(fleet, { by: 'bob' } as never)), 'reject needs a reason');
    assert.equal(reasonOf(decideAbort(fleet, undefined)), "abort needs 'by': who aborts");
    assert.equal(reasonOf(decideAbort(fleet, { by: 'ops', reason: '' })), 'abort needs a reason');
    assert.equal(reasonOf(decideAbort(fleet, { by: 'ops', reason: 'freeze' })), null);
    assert.equal(reasonOf(decideResume(fleet)), 'nothing to resume: the fleet is AwaitingApproval');
    fleet.state.paused = true;
    assert.equal(reasonOf(decidePause(fleet)), 'the fleet rotation is already paused');
    assert.equal(reasonOf(decideResume(fleet)), null);
  });

  test('skip and retry need a failed cluster (among those named); nothing applies once aborting or over', () => {
    const fleet = fleetWith(3, 1);
    assert.equal(reasonOf(decideRetry(fleet, undefined)), 'no failed cluster to act on');
    fleet.finish(fleet.state.clusters[0], 'Failed', 'boom');
    assert.equal(reasonOf(decideRetry(fleet, undefined)), null);
    assert.equal(reasonOf(decideRetry(fleet, { clusterIds: [2] })), 'no failed cluster to act on');
    fleet.state.aborted = { by: 'ops', reason: 'freeze' };
    assert.equal(reasonOf(decideRetry(fleet, undefined)), 'the fleet rotation is aborting');
    assert.equal(reasonOf(decidePause(fleet)), 'the fleet rotation is aborting');
    assert.equal(reasonOf(decideAbort(fleet)), 'the fleet rotation is already aborting');
    fleet.conclude();
    assert.equal(reasonOf(decideAbort(fleet)), 'the fleet rotation has ended (Aborted)');
  });

  test('a report from a child counts only from the run the fleet started for that cluster', () => {
    const fleet = fleetWith(2, 1);
    const report = { clusterId: 1, workflowId: 'rotate-cluster-1', runId: 'run-1', phase: 'Completed' as const };
    assert.equal(decideClusterFinished(fleet, report).ok, true);
    assert.equal(decideClusterFinished(fleet, { ...report, runId: 'run-other' }).ok, false);
    assert.equal(decideClusterFinished(fleet, { ...report, clusterId: 99 }).ok, false);
  });
});

describe('fleet four-eyes and gate cover', () => {
  const gated = (extra: Partial<FleetRotationInput> = {}): FleetLedger => {
    const fleet = fleetWith(3, 1, extra);
    fleet.gate = { gate: 'canary', since: 'a', timeoutAt: 'b' };
    return fleet;
  };

  test("the fleet's requester answers its gate on no path, however the name is written", () => {
    const fleet = gated();
    for (const by of ['alice', ' Alice ', 'ALICE']) {
      assert.equal(reasonOf(decideApprove(fleet, { by })), 'the requester (alice) cannot approve their own fleet rotation: four-eyes');
    }
    assert.equal(reasonOf(decideReject(fleet, { by: 'alice', reason: 'x' })),
      'the requester (alice) cannot reject their own fleet rotation: four-eyes (abort stops it)');
    assert.equal(reasonOf(decideApprove(fleet, { by: ' ' })), "approve needs 'by': who decides");
  });

  test('the canary gate is answered once: a second approval is refused, even in the same activation', () => {
    const fleet = gated();
    approve(fleet, { by: 'bob' });
    assert.match(reasonOf(decideApprove(fleet, { by: 'carol' })) ?? '', /^the canary gate has already been answered: approved by bob at /);
    assert.match(reasonOf(decideReject(fleet, { by: 'carol', reason: 'late' })) ?? '', /already been answered/);
  });

  test("children keep their own gates until a second person approved the fleet's gate", () => {
    const fleet = gated();
    const [canary, later] = fleet.state.clusters;
    assert.deepEqual(childInput(fleet, canary).approvals, {}, 'the canary cluster keeps its own gates');
    assert.equal(fleet.gateCover(), null);
    approve(fleet, { by: 'bob' });
    assert.deepEqual(childInput(fleet, later).approvals,
      { beforeDelete: false, beforeRecycle: false, disabledBy: 'fleet:rotate-fleet-f' });
    assert.equal(childInput(fleet, later).requestedBy, 'alice');
  });

  test('an admin who switched the fleet\'s gates off stands in for every child, and is named', () => {
    const fleet = fleetWith(3, 0, { waves: { canary: 0 }, gatesDisabledBy: 'root-admin' });
    assert.deepEqual(childInput(fleet, fleet.state.clusters[0]).approvals,
      { beforeDelete: false, beforeRecycle: false, disabledBy: 'root-admin' });
    assert.deepEqual(fleet.state.timeline.at(-1), { at: fleet.state.timeline.at(-1)!.at, event: 'gates off', detail: 'switched off by root-admin' });
  });

  test('a single wave or no canary gate without an admin: every cluster keeps its own gate, and the timeline says why', () => {
    const single = fleetWith(1, 0);
    assert.equal(single.state.waveCount, 1);
    assert.match(single.state.timeline.at(-1)?.detail ?? '', /^every cluster keeps its own approval gate/);
    assert.deepEqual(childInput(single, single.state.clusters[0]).approvals, {});
    const noGate = fleetWith(3, 0, { waves: { canaryApproval: false } });
    assert.match(noGate.state.timeline.at(-1)?.detail ?? '', /so does every later wave \(switching them off needs gatesDisabledBy, an admin\)/);
    noGate.state.currentWave = 1;
    assert.deepEqual(childInput(noGate, noGate.state.clusters[2]).approvals, {});
  });
});
