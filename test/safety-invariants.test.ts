// The safety checks themselves (test/safety/invariants.ts) on hand-made evidence, so a check that
// cries wolf, or one that stops seeing a violation, fails here without a whole case to replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from '../sim/audit.js';
import type { RegenerateResult } from '../common/types.js';
import type { RunRecord } from './safety/evidence.js';
import { fleetFourEyes, fourEyes, withinPlan, type CaseEvidence } from './safety/invariants.js';
import type { CaseModel } from './safety/model.js';

const CLUSTER = 300150;

function run(runId: string, status: string, regenerates: RegenerateResult[]): RunRecord {
  return {
    workflowId: `rotate-cluster-${CLUSTER}`, runId, status,
    input: { clusterId: CLUSTER, requestedBy: 'alice', approvals: { beforeDelete: false, beforeRecycle: false } },
    updates: [], memoApprovals: [], childStarts: [], compensated: false, result: null, text: '',
    activities: regenerates.map((result) => ({ type: 'regenerateCredentials', completed: true, result })),
  };
}

function evidence(regeneratePosts: ('ok' | 'dropped')[]): CaseEvidence {
  const audit = new AuditLog();
  for (const post of regeneratePosts) {
    audit.record({ api: 'linode', clusterId: CLUSTER, method: 'POST', path: `/v4/lke/clusters/${CLUSTER}/regenerate`, status: post === 'ok' ? 200 : 'dropped', applied: true });
  }
  return { sim: { audit }, model: { outsideRegenerates: new Map() }, fleetRuns: [] } as unknown as CaseEvidence;
}

test('I3: a resend explained in the result of a terminated run\'s regenerate is accounted for (seed 20261205, case 49)', () => {
  // the first answer dropped; attempt 2 saw no sign and POSTed again, saying why; then the run was
  // terminated (no final status) and a fresh run regenerated once more
  const runs = [
    run('first', 'TERMINATED', [{ posted: true, attempt: 2, reason: 'an earlier attempt\'s answer was lost and LKE showed no sign of it' }]),
    run('fresh', 'COMPLETED', [{ posted: true, attempt: 1 }]),
  ];
  assert.deepEqual(withinPlan(evidence(['dropped', 'ok', 'ok']), CLUSTER, runs), []);
});

test('I3: a resend nothing explains is still a violation', () => {
  const runs = [
    run('first', 'TERMINATED', [{ posted: true, attempt: 1 }]),
    run('fresh', 'COMPLETED', [{ posted: true, attempt: 1 }]),
  ];
  const violations = withinPlan(evidence(['dropped', 'ok', 'ok']), CLUSTER, runs);
  assert.equal(violations.length, 1);
  assert.match(violations[0].message, /3 regenerate\(s\) reached LKE, but the runs account for 2 regenerate step\(s\) and 0 explained resend\(s\)/);
});

test('I2: an approve Signal by the requester that took effect shows in the memo and is a violation', () => {
  const signalled = run('only', 'COMPLETED', []);
  const model = { gatesDisabled: [] } as unknown as CaseModel;
  assert.deepEqual(fourEyes(model, CLUSTER, [{ ...signalled, memoApprovals: [{ gate: 'beforeDelete', by: 'bob', at: '' }] }], []), []);
  const violations = fourEyes(model, CLUSTER, [{ ...signalled, memoApprovals: [{ gate: 'beforeDelete', by: 'Alice', at: '' }] }], []);
  assert.equal(violations.length, 1);
  assert.match(violations[0].message, /beforeDelete approved by Alice, who requested the rotation/);
});

test('I2: a batched recycle (recycleNodes) past the recycle gate without a second person\'s approval is a violation', () => {
  const model = { gatesDisabled: [] } as unknown as CaseModel;
  const gated = { clusterId: CLUSTER, requestedBy: 'alice', approvals: { beforeDelete: false, beforeRecycle: true }, recycle: { mode: 'rolling' as const } };
  const recycled = { ...run('only', 'COMPLETED', []), input: gated, activities: [{ type: 'recycleNodes', completed: true, result: null }] };
  const violations = fourEyes(model, CLUSTER, [recycled], []);
  assert.equal(violations.length, 1);
  assert.match(violations[0].message, /recycleNodes ran past the beforeRecycle gate without an approval by anyone but alice/);
  const approved = { ...recycled, memoApprovals: [{ gate: 'beforeRecycle' as const, by: 'bob', at: '' }] };
  assert.deepEqual(fourEyes(model, CLUSTER, [approved], []), []);
});

// A staged fleet of three: stage 1 takes cluster 1 and has a gate, stage 2 takes cluster 2 (no gate),
// the rest takes cluster 3. Events by id: cluster 1 starts (10), approve (20), the others start after.
function stagedFleet(approveBy: string, childEvents: [number, number][]): RunRecord {
  const selected = [1, 2, 3].map((id) => ({ id, label: `c${id}`, region: 'us-east', k8sVersion: '1.31' }));
  return {
    workflowId: 'fleet-rotation-f', runId: 'fleetrun', status: 'COMPLETED', memoApprovals: [], compensated: false, result: null, text: '',
    input: {
      name: 'f', requestedBy: 'alice', selector: { clusterIds: [1, 2, 3] },
      stages: [{ select: { count: 1 }, approval: true }, { select: { count: 1 } }, { select: { rest: true } }],
    } as unknown as RunRecord['input'],
    activities: [{ type: 'selectClusters', completed: true, result: selected }],
    updates: [{ name: 'approve', arg: { by: approveBy }, outcome: 'completed', result: undefined, eventId: 20 }],
    childStarts: childEvents.map(([id, eventId]) => ({ workflowId: `rotate-cluster-${id}`, eventId })),
  };
}
const fleetModel = () => ({ scenario: { clusters: 3 }, gatesDisabled: [] }) as unknown as CaseModel;

test('I2: a staged fleet whose later clusters start after a second person approved the gate holds', () => {
  assert.deepEqual(fleetFourEyes(fleetModel(), [stagedFleet('bob', [[1, 10], [2, 25], [3, 30]])]), []);
});

test('I2: a cluster of a later stage started before the stage gate was approved is a violation', () => {
  const violations = fleetFourEyes(fleetModel(), [stagedFleet('bob', [[1, 10], [2, 15], [3, 30]])]);
  assert.equal(violations.length, 1);
  assert.match(violations[0].message, /cluster 2 of stage stage-2 started while the gate of stage stage-1 had no approval by anyone but alice/);
});

test('I2: a stage gate approved by the requester does not let the next stages start', () => {
  const violations = fleetFourEyes(fleetModel(), [stagedFleet(' Alice', [[1, 10], [2, 25], [3, 30]])]);
  assert.ok(violations.some((v) => /approved by alice, who requested the fleet/.test(v.message)), JSON.stringify(violations));
  assert.ok(violations.some((v) => /cluster 3 of stage stage-3 started while the gate of stage stage-1/.test(v.message)), JSON.stringify(violations));
});
