// What stands between one stage and the next in a staged fleet (docs/design.md, "Stages"): the
// soak, a health check of the stage's clusters repeated over soakMs that halts the fleet on a
// regression, then the stage's approval gate (four-eyes, in controls.ts).
import { condition, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { FleetActivities } from '../../common/fleetActivities.js';
import type { FleetStageState, SoakFinding, StageHealthBaseline } from '../../common/types.js';
import type { Notifier } from '../notifications.js';
import { describeChildFailure } from './children.js';
import { DEFAULTS, addTimeline, countByPhase, type FleetLedger } from './state.js';
import { FINDINGS_KEPT, gateLabel, guardsNextStage, soakCheckIntervalMs, stageClusters } from './stages.js';

// One look at the stage's clusters; a look that keeps failing halts the fleet (health not shown is not health).
const { checkStageHealth } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const show = (fleet: FleetLedger): void => setCurrentDetails(fleet.details());

/** After a stage's clusters ended: its soak, a halt it caused (until resumed), then its gate; only when a later stage has clusters. */
export async function guardNextStage(fleet: FleetLedger, index: number, notifier: Notifier): Promise<void> {
  const { state } = fleet;
  const stage = state.stages![index];
  if (!guardsNextStage(state, index)) return;
  await soak(fleet, stage, index);
  await condition(() => !state.halted || !!state.aborted);
  if (!state.aborted) await stageGate(fleet, stage, notifier);
}

/** Why the fleet halts: the first finding with its cluster, and how many more there are. */
function haltReason(stage: FleetStageState, findings: SoakFinding[]): string {
  const [first] = findings;
  const where = first.clusterId === null ? 'the health check' : `cluster ${first.clusterId}`;
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more finding(s))` : '';
  return `soak of stage ${stage.name}: ${where}: ${first.reason}${more}`;
}

/**
 * Checks the stage's completed clusters at the soak's start (the baseline), every fifth of the soak,
 * and at its end; the first check that finds anything halts the fleet and ends the soak. An abort
 * cuts it short. History stays bounded: about six activities and five timers per soak.
 */
async function soak(fleet: FleetLedger, stage: FleetStageState, index: number): Promise<void> {
  const { state } = fleet;
  if (!stage.soakMs || state.aborted) return;
  const clusters = stageClusters(state, index)
    .filter((cluster) => cluster.phase === 'Completed' && cluster.workflowId)
    .map((cluster) => ({ clusterId: cluster.id, workflowId: cluster.workflowId!, runId: cluster.runId }));
  if (clusters.length === 0) {
    addTimeline(state, 'soak skipped', `stage ${stage.name}: no completed cluster to check`);
    return;
  }
  const intervalMs = soakCheckIntervalMs(stage.soakMs);
  const until = Date.now() + stage.soakMs;
  stage.state = 'soaking';
  stage.soak = { checks: 0, lastCheckAt: null, until: new Date(until).toISOString(), findings: [] };
  fleet.soakUntil = stage.soak.until;
  addTimeline(state, 'soaking', `stage ${stage.name}: ${clusters.length} cluster(s) for ${stage.soakMs} ms, checked every ${intervalMs} ms`);
  show(fleet);
  let baseline: StageHealthBaseline[] | undefined;
  for (;;) {
    const findings = await look(stage, clusters, baseline).then((result) => {
      baseline ??= result.baseline;
      return result.findings;
    }, (err: unknown) => [{ clusterId: null, reason: `failed: ${describeChildFailure(err).message}`, at: new Date().toISOString() }]);
    stage.soak.checks++;
    stage.soak.lastCheckAt = new Date().toISOString();
    if (findings.length) {
      stage.soak.findings.push(...findings.slice(0, FINDINGS_KEPT - stage.soak.findings.length));
      fleet.halt(haltReason(stage, findings), 'soak');
      break;
    }
    const left = until - Date.now();
    if (left <= 0 || state.aborted) break;
    show(fleet);
    await condition(() => !!state.aborted, Math.min(intervalMs, left));
  }
  stage.soak.until = null;
  fleet.soakUntil = null;
  if (!stage.soak.findings.length && !state.aborted) {
    addTimeline(state, 'soak passed', `stage ${stage.name}: ${stage.soak.checks} check(s), nothing found`);
  }
  if (stage.state === 'soaking') stage.state = 'running';
  fleet.changed();
  show(fleet);
}

function look(stage: FleetStageState, clusters: { clusterId: number; workflowId: string; runId: string | null }[], baseline?: StageHealthBaseline[]) {
  return checkStageHealth.executeWithOptions(
    { summary: `Soak check of stage ${stage.name}: ${clusters.length} cluster(s)${baseline ? '' : ', baseline'}` },
    [{ stage: stage.name, clusters, ...(baseline ? { baseline } : {}) }]);
}

/** The stage's gate: a second person approves the next stage, or rejects; no answer in time rejects. */
async function stageGate(fleet: FleetLedger, stage: FleetStageState, notifier: Notifier): Promise<void> {
  const { input, state } = fleet;
  if (!stage.approval || stage.approvedBy || state.aborted) return;
  const timeoutMs = input.approvalTimeoutMs ?? DEFAULTS.approvalTimeoutMs;
  const since = Date.now();
  fleet.gate = { gate: stage.gateKind, stage: stage.name, since: new Date(since).toISOString(), timeoutAt: new Date(since + timeoutMs).toISOString() };
  stage.state = 'awaitingApproval';
  addTimeline(state, `awaiting approval of ${gateLabel(stage)}`);
  show(fleet);
  notifier.emit('fleet.gate.waiting', {
    phase: 'AwaitingApproval', gate: stage.gateKind, stage: stage.name, timeoutAt: fleet.gate.timeoutAt, counts: countByPhase(state.clusters),
  });
  const decided = await condition(() => !!stage.approvedBy || !!state.aborted, timeoutMs);
  fleet.gate = null;
  stage.state = 'running';
  if (!decided) {
    fleet.rejected = true;
    const what = stage.gateKind === 'canary' ? 'canary approval' : `approval of stage ${stage.name}`;
    state.aborted = { by: 'system', reason: `${what} timed out after ${timeoutMs} ms` };
    addTimeline(state, `${gateLabel(stage)} timed out`);
  }
}
