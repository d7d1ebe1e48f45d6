// A fleet's stages without Temporal: the rules a stages list must follow (common/stages.ts), the
// assignment of clusters to stages, the old waves input as two stages, which settings need an admin
// (common/gates.ts), the CLI's --stage flag, and the staged ledger's gate decisions and status
// (workflows/fleetRotation/stages.ts, state.ts, controls.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { stageSpec, stagesListProblem } from '../cli/stageSpec.js';
import { carriedFromStatus } from '../client/fleetResume.js';
import { fleetGatesSwitchedOff } from '../common/gates.js';
import { assignStages, plannedStages, stagesProblems } from '../common/stages.js';
import type { FleetRotationInput, FleetStageInput, SelectedCluster } from '../common/types.js';
import { childInput } from '../workflows/fleetRotation/children.js';
import { approve, decideApprove, decideReject, resume, skip } from '../workflows/fleetRotation/controls.js';
import { guardsNextStage, soakCheckIntervalMs } from '../workflows/fleetRotation/stages.js';
import { FleetLedger } from '../workflows/fleetRotation/state.js';
import type { Decision } from '../workflows/decision.js';
import { fleetStaticDetails } from '../workflows/staticDetails.js';

const reasonOf = (decision: Decision): string | null => (decision.ok ? null : decision.reason);

/** 10 clusters, ids 1..10: 1-6 in us-ord, 7-10 in us-sea; 9 and 10 tagged db. */
const selection: SelectedCluster[] = Array.from({ length: 10 }, (_, i) => ({
  id: i + 1, label: `lke-${i + 1}`, region: i < 6 ? 'us-ord' : 'us-sea', k8sVersion: '1.31', tags: i >= 8 ? ['prod', 'db'] : ['prod'],
}));

function stagedFleet(stages: FleetStageInput[] | undefined, extra: Partial<FleetRotationInput> = {}): FleetLedger {
  const fleet = new FleetLedger({ name: 'f', requestedBy: 'alice', selector: { tags: ['prod'] }, ...(stages ? { stages } : {}), ...extra }, 'rotate-fleet-f');
  fleet.select(selection, true);
  return fleet;
}

describe('stage rules', () => {
  test('clusters go to stages in id order; a stage takes only what earlier stages left; percent is of the whole, rounded up', () => {
    const stages = [{ count: 1 }, { percent: 15 }, { tag: 'db' }, { region: 'us-sea' }, { rest: true as const }].map((select) => ({ select }));
    assert.deepEqual(assignStages(selection, stages), { stageOf: [0, 1, 1, 4, 4, 4, 3, 3, 2, 2], extraRest: false });
    // a region stage after a count that took some of its clusters takes the others only
    assert.deepEqual(assignStages(selection, [{ select: { count: 7 } }, { select: { region: 'us-sea' } }]).stageOf, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    // what no stage took goes to an added last stage, so each cluster is in exactly one
    assert.deepEqual(assignStages(selection, [{ select: { tag: 'db' } }]), { stageOf: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], extraRest: true });
    assert.deepEqual(assignStages(selection.slice(0, 1), [{ select: { percent: 1 } }, { select: { rest: true } }]).stageOf, [0], '1% of one is one');
    assert.deepEqual(assignStages([], [{ select: { count: 1 } }]), { stageOf: [], extraRest: false });
  });

  test('the staged ledger names the added rest stage and counts each stage; empty stages guard nothing', () => {
    const fleet = stagedFleet([{ name: 'rest', select: { region: 'us-sea' } }, { name: 'nobody', select: { tag: 'none' }, approval: true }]);
    assert.deepEqual(fleet.status().stages?.map((s) => [s.name, s.select, s.clusters, s.state]), [
      ['rest', 'region us-sea', 4, 'pending'], ['nobody', 'tag none', 0, 'pending'], ['rest-2', 'the rest', 6, 'pending'],
    ]);
    assert.equal(fleet.state.waveCount, 3);
    assert.deepEqual([0, 1, 2].map((i) => guardsNextStage(fleet.state, i)), [true, false, false]);
    assert.match(fleet.state.timeline.at(-2)?.detail ?? '', /^10 clusters in 3 stage\(s\): rest 4, nobody 0, rest-2 6$/);
  });

  test('the waves shorthand is two stages, canary (gate, soak) and rest', () => {
    assert.deepEqual(plannedStages({}), [
      { name: 'canary', select: { count: 1 }, approval: true, soakMs: 0, gateKind: 'canary' },
      { name: 'rest', select: { rest: true }, approval: false, soakMs: 0, gateKind: 'stage' },
    ]);
    assert.deepEqual(plannedStages({ waves: { canary: 3, canaryApproval: false }, soakMs: 500 })[0],
      { name: 'canary', select: { count: 3 }, approval: false, soakMs: 500, gateKind: 'canary' });
    // canary 0: an empty canary stage, passed over whole; the rest is one stage
    const noCanary = stagedFleet(undefined, { waves: { canary: 0 }, gatesDisabledBy: 'root' });
    assert.deepEqual(noCanary.status().stages?.map((s) => s.clusters), [0, 10]);
    assert.equal(guardsNextStage(noCanary.state, 0), false);
  });

  test('a stages list is refused with every problem named', () => {
    const fields = (input: Partial<FleetRotationInput>) => stagesProblems(input).map((p) => p.field);
    assert.deepEqual(stagesProblems({}), []);
    assert.deepEqual(stagesProblems({ stages: [{ select: { count: 2 }, approval: true, soakMs: 1000 }, { name: 'all-else', select: { rest: true } }] }), []);
    assert.deepEqual(fields({ stages: [] }), ['stages']);
    assert.deepEqual(fields({ stages: [{ select: { rest: true } }, { select: { rest: true } }] }), ['stages.0.select']);
    assert.deepEqual(fields({ stages: [{ select: { count: 0 } }, { select: { percent: 100.5 } }, { select: { tag: '' } }, { select: {} as never }] }),
      ['stages.0.select', 'stages.1.select', 'stages.2.select', 'stages.3.select']);
    assert.deepEqual(fields({ stages: [{ name: 'stage-2', select: { count: 1 } }, { select: { count: 1 } }] }), ['stages.1.name'], 'default names count too');
    assert.deepEqual(fields({ stages: [{ name: 'Canary!', select: { count: 1 }, soakMs: -5 }] }), ['stages.0.name', 'stages.0.soakMs']);
    assert.deepEqual(fields({ stages: [{ select: { count: 1 } }], waves: { canary: 1 }, soakMs: 10 }), ['waves', 'soakMs']);
    assert.deepEqual(fields({ stages: Array.from({ length: 21 }, () => ({ select: { count: 1 } })) }).slice(0, 1), ['stages']);
    assert.equal(soakCheckIntervalMs(600_000), 120_000);
    assert.equal(soakCheckIntervalMs(2_000), 1_000, 'at least a second');
  });

  test('stages with no gate before a later stage switch gates off (the admin role); one gate is enough', () => {
    assert.deepEqual(fleetGatesSwitchedOff({ stages: [{ select: { count: 1 } }, { select: { rest: true }, approval: true }] }), ['stages']);
    assert.deepEqual(fleetGatesSwitchedOff({ stages: [{ select: { count: 1 } }, { select: { percent: 50 }, approval: true }, { select: { rest: true } }] }), []);
    assert.deepEqual(fleetGatesSwitchedOff({ waves: { canary: 1 } }), []);
  });

  test('the CLI reads --stage specs and refuses bad ones before any request', () => {
    assert.deepEqual(stageSpec('name=canary,count=1,approval,soak=600'), { name: 'canary', select: { count: 1 }, approval: true, soakMs: 600_000 });
    assert.deepEqual(stageSpec('percent=10'), { select: { percent: 10 } });
    assert.deepEqual(stageSpec('region=us-iad'), { select: { region: 'us-iad' } });
    assert.deepEqual(stageSpec('tag=db,name=databases'), { name: 'databases', select: { tag: 'db' } });
    assert.deepEqual(stageSpec('rest'), { select: { rest: true } });
    for (const bad of ['', 'count=1,percent=5', 'count=x', 'percent=0', 'soak=1m,rest', 'colour=red,rest', 'rest=yes', 'name=Bad,rest']) {
      assert.throws(() => stageSpec(bad), InvalidArgumentError, bad);
    }
    assert.match(stagesListProblem([{ select: { rest: true } }, { select: { count: 1 } }]) ?? '', /only the last stage may take the rest/);
    assert.equal(stagesListProblem([{ select: { count: 1 } }, { select: { rest: true } }]), null);
  });
});

describe('a staged fleet resumed, and described', () => {
  test('resume carries the stages from the last status, with their select rules from the input; halted is the fleet\'s own', () => {
    const stages: FleetStageInput[] = [{ name: 'pilot', select: { tag: 'db' }, soakMs: 5_000 }, { name: 'all', select: { rest: true }, approval: true }];
    const fleet = stagedFleet(stages);
    fleet.state.stages![0].state = 'running';
    fleet.state.stages![0].soak = { checks: 1, lastCheckAt: 'x', until: null, findings: [{ clusterId: 9, reason: 'node a is NotReady', at: 'x' }] };
    fleet.halt('soak of stage pilot: cluster 9: node a is NotReady');
    const carried = carriedFromStatus(fleet.status(), 'dave', 'now', fleet.input);
    assert.deepEqual(carried.stages, fleet.state.stages);
    assert.equal(carried.halted, true);
    assert.equal(carried.haltCause, 'soak', "the soak's halt stays the soak's");
    assert.deepEqual(carriedFromStatus({ ...fleet.status(), stages: undefined }, 'dave', 'now').stages, undefined, 'a run without stages keeps none');
  });

  test('the static details list the stages', () => {
    const details = fleetStaticDetails({ name: 'f', requestedBy: 'alice', selector: { tags: ['prod'] }, stages: [
      { name: 'canary', select: { count: 1 }, approval: true, soakMs: 600_000 }, { select: { percent: 50 } }, { select: { rest: true } },
    ] });
    assert.match(details, /- stages, 5 clusters at a time: canary \(first 1, soak 600000 ms, approval gate\); then stage-2 \(50%\); then stage-3 \(the rest\)/);
  });
});

describe('staged ledger: a stage gate', () => {
  /** A staged fleet whose gate of stage `second` waits. */
  function atSecondGate(): FleetLedger {
    const fleet = stagedFleet([{ name: 'first', select: { count: 1 } }, { name: 'second', select: { count: 2 }, approval: true }, { name: 'last', select: { rest: true } }]);
    fleet.state.currentWave = 1;
    fleet.state.stages![1].state = 'awaitingApproval';
    fleet.gate = { gate: 'stage', stage: 'second', since: 'a', timeoutAt: 'b' };
    return fleet;
  }

  test('four-eyes, the stage named, and answered once', () => {
    const fleet = atSecondGate();
    assert.match(reasonOf(decideApprove(fleet, { by: 'alice' })) ?? '', /requester \(alice\) cannot approve/);
    assert.match(reasonOf(decideApprove(fleet, { by: 'bob', stage: 'first' })) ?? '', /^stage first is not waiting for approval: stage second is$/);
    assert.match(reasonOf(decideApprove(fleet, { by: 'bob', stage: 'third' })) ?? '', /^no stage 'third' in this fleet$/);
    assert.equal(decideApprove(fleet, { by: 'bob', stage: 'second' }).ok, true);
    assert.deepEqual(childInput(fleet, fleet.state.clusters[1]).approvals, {}, 'children keep their own gates until the approval');
    approve(fleet, { by: 'bob', comment: 'ok' });
    assert.match(reasonOf(decideApprove(fleet, { by: 'carol' })) ?? '', /^the gate of stage second has already been answered: approved by bob at /);
    assert.match(reasonOf(decideReject(fleet, { by: 'carol', reason: 'late' })) ?? '', /already been answered/);
    assert.deepEqual(fleet.status().stages?.[1].approvedBy?.by, 'bob');
    fleet.gate = null;
    assert.match(reasonOf(decideApprove(fleet, { by: 'carol' })) ?? '', /^the gate of stage second has already been answered: approved by bob/,
      'a late approval, once the fleet went on, hears who answered');
    assert.equal(fleet.state.timeline.at(-1)?.event, 'stage second approved');
    assert.deepEqual(childInput(fleet, fleet.state.clusters[3]).approvals,
      { beforeDelete: false, beforeRecycle: false, disabledBy: 'fleet:rotate-fleet-f' }, "the stage's gate covers later clusters");
  });

  test('no gate pending: refused with the phase; a halted stage shows halted', () => {
    const fleet = atSecondGate();
    fleet.gate = null;
    assert.match(reasonOf(decideApprove(fleet, { by: 'bob' })) ?? '', /^no approval is pending: the fleet is Running$/);
    fleet.halt('soak of stage second: cluster 2: node n is NotReady');
    assert.deepEqual(fleet.status().stages?.map((s) => s.state), ['pending', 'halted', 'pending']);
    assert.match(fleet.details(), /\| second \| first 2 \| 2 \| halted \| approval \| - \|/);
  });

  test("a soak's halt is lifted by resume only: skipping failed clusters back within budget does not", () => {
    const fleet = stagedFleet([{ select: { count: 2 }, soakMs: 1_000 }, { select: { rest: true } }], { errorBudget: { count: 1 } });
    const [failed] = fleet.state.clusters;
    failed.phase = 'Failed';
    fleet.halt('soak of stage stage-1: cluster 2: node a is NotReady', 'soak');
    skip(fleet, { by: 'dave' });
    assert.equal(fleet.state.halted, true);
    assert.equal(fleet.phase(), 'Halted');
    resume(fleet, { by: 'dave' });
    assert.deepEqual([fleet.state.halted, fleet.state.haltCause], [false, undefined]);
    // a budget halt is still lifted by skip, as before
    fleet.state.clusters[1].phase = 'Failed';
    fleet.halt('1 failed, error budget allows 0');
    fleet.state.clusters[1].phase = 'Failed';
    skip(fleet, { by: 'dave' });
    assert.equal(fleet.state.halted, false);
  });

  test("a fleet without stages refuses an approval naming any stage but the canary's", () => {
    const fleet = new FleetLedger({ name: 'f', requestedBy: 'alice', selector: { tags: ['prod'] } }, 'rotate-fleet-f');
    fleet.select(selection);
    fleet.gate = { gate: 'canary', since: 'a', timeoutAt: 'b' };
    assert.match(reasonOf(decideApprove(fleet, { by: 'bob', stage: 'rest' })) ?? '', /no stage 'rest'/);
    assert.equal(decideApprove(fleet, { by: 'bob', stage: 'canary' }).ok, true);
  });
});
