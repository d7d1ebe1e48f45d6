// A staged fleet's bookkeeping, with no Temporal import: the selection planned into stages, which
// stages guard a next one, each stage's status, and the lines Temporal Web shows for them
// (docs/design.md, "Stages"). The stage of a cluster is its `wave`.
import { assignStages, describeStageSelect, plannedStages } from '../../common/stages.js';
import type {
  FleetCarriedState, FleetCluster, FleetRotationInput, FleetStageState, FleetStageStatus, SelectedCluster,
} from '../../common/types.js';

/** Findings kept per stage: the first halts the fleet; the state rides along on every continue-as-new. */
export const FINDINGS_KEPT = 20;

/** The soak's checks: at its start, then every fifth of it (at least a second), and at its end. */
export const soakCheckIntervalMs = (soakMs: number): number => Math.max(1_000, Math.floor(soakMs / 5));

export function newCluster(cluster: SelectedCluster, wave: number): FleetCluster {
  return { ...cluster, wave, phase: 'Pending', workflowId: null, runId: null, attached: false, startedAt: null, finishedAt: null, error: null };
}

/** The selection in stages; clusters no stage took get an added last stage, `rest`. */
export function planStages(selected: SelectedCluster[], input: FleetRotationInput): { clusters: FleetCluster[]; stages: FleetStageState[] } {
  const planned = plannedStages(input);
  const { stageOf, extraRest } = assignStages(selected, planned);
  if (extraRest) {
    let name = 'rest';
    for (let n = 2; planned.some((stage) => stage.name === name); n++) name = `rest-${n}`;
    planned.push({ name, select: { rest: true }, approval: false, soakMs: 0, gateKind: 'stage' });
  }
  return {
    clusters: selected.map((cluster, index) => newCluster(cluster, stageOf[index])),
    stages: planned.map((stage) => ({ ...stage, state: 'pending', approvedBy: null, soak: null })),
  };
}

export const stageClusters = (state: FleetCarriedState, index: number): FleetCluster[] =>
  state.clusters.filter((cluster) => cluster.wave === index);

/**
 * A stage's soak and gate guard the stages after it: they apply only when the stage has clusters and
 * a later stage has some too (an empty stage is passed over whole).
 */
export function guardsNextStage(state: FleetCarriedState, index: number): boolean {
  return state.clusters.some((c) => c.wave === index) && state.clusters.some((c) => c.wave > index);
}

/** How the status names a stage's gate. */
export const gateLabel = (stage: Pick<FleetStageState, 'name' | 'gateKind'>): string =>
  stage.gateKind === 'canary' ? 'the canary gate' : `the gate of stage ${stage.name}`;

export function stageStatuses(state: FleetCarriedState): FleetStageStatus[] {
  return (state.stages ?? []).map((stage, index) => ({
    name: stage.name,
    select: describeStageSelect(stage.select),
    clusters: stageClusters(state, index).length,
    state: state.halted && index === state.currentWave && stage.state !== 'done' ? 'halted' : stage.state,
    approval: stage.approval,
    gateKind: stage.gateKind,
    approvedBy: stage.approvedBy,
    soakMs: stage.soakMs,
    soak: stage.soak,
  }));
}

/** Markdown for Temporal Web: one table row per stage, then the findings of the soaks. */
export function stageDetailLines(state: FleetCarriedState): string[] {
  const stages = stageStatuses(state);
  if (stages.length === 0) return [];
  const lines = ['', '| stage | select | clusters | state | gate | soak |', '|---|---|---|---|---|---|'];
  for (const stage of stages) {
    const gate = !stage.approval ? '-' : stage.approvedBy ? `approved by ${stage.approvedBy.by}` : 'approval';
    const soak = !stage.soakMs ? '-'
      : stage.soak ? `${stage.soak.checks} check(s), ${stage.soak.findings.length ? `${stage.soak.findings.length} finding(s)` : 'healthy'}`
        : `${stage.soakMs} ms`;
    lines.push(`| ${stage.name} | ${stage.select} | ${stage.clusters} | ${stage.state} | ${gate} | ${soak} |`);
  }
  for (const stage of stages) {
    for (const finding of stage.soak?.findings ?? []) {
      const where = finding.clusterId === null ? 'the health check' : `cluster ${finding.clusterId}`;
      lines.push('', `Soak of stage **${stage.name}**: ${where}: ${finding.reason} (${finding.at})`);
    }
  }
  return lines;
}
