// The fleet's bookkeeping as pure functions over FleetCarriedState, so the workflow stays a
// scheduler and the rules (waves, budget, phases) can be read in one place.
import {
  FLEET_CLUSTER_PHASES,
  type ErrorBudget, type FleetCarriedState, type FleetSelector, type FleetCluster, type FleetClusterPhase, type FleetRotationInput,
  type FleetTimelineEntry, type SelectedCluster,
} from '../../common/types.js';

export const DEFAULTS = {
  canary: 1,
  canaryApproval: true,
  concurrency: 5,
  errorBudget: { count: 0 } as ErrorBudget,
  approvalTimeoutMs: 24 * 60 * 60 * 1000,
  maxHistoryEvents: 10_000,
  watchIntervalMs: 60_000,
} as const;

/** A new run starts with a handful of events; below this a run could continue as new without progress. */
export const MIN_HISTORY_EVENTS = 100;

/** The status keeps the latest entries only: the state rides along on every continue-as-new. */
const TIMELINE_LIMIT = 50;

/** Cluster outcomes that count against the error budget. */
const FAILED: readonly FleetClusterPhase[] = ['Failed', 'Cancelled', 'Rejected'];

export const isFailed = (cluster: FleetCluster): boolean => FAILED.includes(cluster.phase);

export function initialState(): FleetCarriedState {
  return {
    selected: false, clusters: [], waveCount: 0, currentWave: 0, canaryApproved: false, approvals: [],
    paused: false, halted: false, haltReason: null, aborted: null, acceptedFailures: 0, runs: 1, timeline: [],
  };
}

/** Waves: the first `canary` clusters (by id) alone, then the rest; a single wave when canary is 0 or covers everything. */
export function planWaves(selected: SelectedCluster[], canary: number): { clusters: FleetCluster[]; waveCount: number } {
  const hasCanaryWave = canary > 0 && canary < selected.length;
  const clusters = selected.map((cluster, index): FleetCluster => ({
    ...cluster,
    wave: hasCanaryWave && index >= canary ? 1 : 0,
    phase: 'Pending', workflowId: null, runId: null, attached: false, startedAt: null, finishedAt: null, error: null,
  }));
  return { clusters, waveCount: selected.length === 0 ? 0 : hasCanaryWave ? 2 : 1 };
}

export function allowedFailures(budget: ErrorBudget, total: number): number {
  return 'count' in budget ? budget.count : Math.floor((total * budget.percent) / 100);
}

export function budgetOf(state: FleetCarriedState, input: FleetRotationInput): { allowed: number; failed: number; accepted: number } {
  const failed = state.clusters.filter(isFailed).length;
  return {
    allowed: allowedFailures(input.errorBudget ?? DEFAULTS.errorBudget, state.clusters.length),
    failed,
    accepted: Math.min(state.acceptedFailures, failed),
  };
}

export function overBudget(state: FleetCarriedState, input: FleetRotationInput): boolean {
  const budget = budgetOf(state, input);
  return budget.failed - budget.accepted > budget.allowed;
}

export function countByPhase(clusters: FleetCluster[]): Record<FleetClusterPhase, number> {
  const counts = Object.fromEntries(FLEET_CLUSTER_PHASES.map((phase) => [phase, 0])) as Record<FleetClusterPhase, number>;
  for (const cluster of clusters) counts[cluster.phase]++;
  return counts;
}

export function addTimeline(state: FleetCarriedState, event: string, detail?: string): void {
  const entry: FleetTimelineEntry = { at: new Date().toISOString(), event, ...(detail === undefined ? {} : { detail }) };
  state.timeline.push(entry);
  if (state.timeline.length > TIMELINE_LIMIT) state.timeline.splice(0, state.timeline.length - TIMELINE_LIMIT);
}

/** One line for Temporal Web summaries. */
export function describeSelector({ clusterIds, tags, regions, labelPattern }: FleetSelector): string {
  const criteria = [
    clusterIds?.length ? `ids ${clusterIds.join(', ')}` : null,
    tags?.length ? `tags ${tags.join(' | ')}` : null,
    regions?.length ? `regions ${regions.join(' | ')}` : null,
    labelPattern ? `label ${labelPattern}` : null,
  ].filter(Boolean);
  return criteria.length ? criteria.join('; ') : 'every cluster';
}
