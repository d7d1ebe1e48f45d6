// The fleet's bookkeeping, with no Temporal import: the rules (waves, budget, phases) as pure
// functions over FleetCarriedState, and FleetLedger, what one run knows (the carried state plus
// this run's gate, soak, outcome and the rotations it follows) and the status it answers. The
// workflow stays a scheduler; this module is read and tested on its own.
import { isIdentity, sameIdentity } from '../../common/identity.js';
import { TERMINAL_PHASES, type RotationPhase } from '../../common/names.js';
import {
  FLEET_CLUSTER_PHASES,
  type ErrorBudget, type FleetCarriedState, type FleetSelector, type FleetCluster, type FleetClusterPhase, type FleetPhase,
  type FleetRotationInput, type FleetStageState, type FleetStatus, type FleetTimelineEntry, type SelectedCluster, type SignalRefusal,
} from '../../common/types.js';
import { gateSignalHelp, lastRefusalLine, withRefusal } from '../signalHelp.js';
import { gateLabel, guardsNextStage, planStages, stageDetailLines, stageStatuses } from './stages.js';

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

/** A rotation's end as the fleet counts it: anything but a terminal phase is a failure. */
export const clusterPhaseOf = (phase: RotationPhase): FleetClusterPhase =>
  TERMINAL_PHASES.includes(phase) ? (phase as FleetClusterPhase) : 'Failed';

/** What one run of a fleet rotation knows: the carried state and this run's own. */
export class FleetLedger {
  readonly state: FleetCarriedState;
  readonly concurrency: number;
  readonly maxHistoryEvents: number;
  readonly watchIntervalMs: number;
  readonly byId: Map<number, FleetCluster>;
  /** rotations this run has no child handle for (attached to, or started by an earlier run): looked at by checkRotations */
  readonly followed = new Set<number>();
  finalPhase: FleetPhase | null = null;
  error: string | null = null;
  gate: FleetStatus['pendingGate'] = null;
  soakUntil: string | null = null;
  rejected = false;
  /** children being started (startChild not settled yet) */
  starting = 0;
  /** Every state change bumps this; the scheduler sleeps until it moves. */
  changes = 0;
  /** told when the fleet halts (the workflow sends a notification); the ledger itself stays free of Temporal */
  onHalt: ((reason: string) => void) | null = null;

  constructor(readonly input: FleetRotationInput, readonly fleetId: string) {
    this.state = input.carried ?? initialState();
    this.concurrency = Math.max(1, input.concurrency ?? DEFAULTS.concurrency);
    // A floor, so a tiny setting cannot make runs continue as new before they get anything done.
    this.maxHistoryEvents = Math.max(MIN_HISTORY_EVENTS, input.maxHistoryEvents ?? DEFAULTS.maxHistoryEvents);
    this.byId = new Map<number, FleetCluster>(this.state.clusters.map((cluster) => [cluster.id, cluster]));
    this.watchIntervalMs = input.watchIntervalMs ?? DEFAULTS.watchIntervalMs;
  }

  changed(): void {
    this.changes++;
  }

  running(): number {
    return this.state.clusters.filter((c) => c.phase === 'Running').length;
  }

  hasPending(): boolean {
    return this.state.clusters.some((c) => c.phase === 'Pending');
  }

  isOver(): boolean {
    return this.finalPhase !== null;
  }

  /** Clusters of this wave (or an earlier one, retried) waiting for a slot. */
  startable(wave: number): FleetCluster[] {
    return this.state.clusters.filter((c) => c.phase === 'Pending' && c.wave <= wave);
  }

  failedAmong(ids?: number[]): FleetCluster[] {
    return this.state.clusters.filter((c) => isFailed(c) && (!ids || ids.includes(c.id)));
  }

  phase(): FleetPhase {
    const { state } = this;
    if (this.finalPhase) return this.finalPhase;
    if (!state.selected) return 'Selecting';
    if (state.aborted) return 'Aborting';
    if (state.halted) return 'Halted';
    if (state.paused) return 'Paused';
    if (this.gate) return 'AwaitingApproval';
    if (this.soakUntil) return 'Soaking';
    return 'Running';
  }

  status(): FleetStatus {
    const { state, input } = this;
    return {
      fleetRotationId: this.fleetId,
      name: input.name,
      requestedBy: input.requestedBy,
      phase: this.phase(),
      paused: state.paused,
      halted: state.halted,
      haltReason: state.haltReason,
      aborted: state.aborted,
      error: this.error,
      concurrency: this.concurrency,
      errorBudget: budgetOf(state, input),
      waveCount: state.waveCount,
      currentWave: state.currentWave,
      pendingGate: this.gate,
      soakUntil: this.soakUntil,
      counts: countByPhase(state.clusters),
      clusters: state.clusters,
      approvals: state.approvals,
      runs: state.runs,
      timeline: state.timeline,
      ...(state.refusedSignals?.length ? { refusedSignals: state.refusedSignals } : {}),
      ...(state.stages ? { stages: stageStatuses(state) } : {}),
    };
  }

  /** A control sent as a Signal was refused: kept in the status and the timeline, since a Signal has no answer. */
  refuseSignal(refusal: SignalRefusal): void {
    this.state.refusedSignals = withRefusal(this.state.refusedSignals, refusal);
    addTimeline(this.state, `signal ${refusal.signal} refused`, `${refusal.by ? `${refusal.by}: ` : ''}${refusal.reason}`);
    this.changed();
  }

  /** Markdown for Temporal Web's current details. */
  details(): string {
    const { state } = this;
    const counts = countByPhase(state.clusters);
    const summary = Object.entries(counts).filter(([, n]) => n > 0).map(([p, n]) => `${p} ${n}`).join(', ');
    const where = state.stages
      ? `stage ${state.stages[Math.min(state.currentWave, state.stages.length - 1)]?.name ?? '-'} (${Math.min(state.currentWave + 1, state.waveCount)} of ${state.waveCount})`
      : `wave ${Math.min(state.currentWave + 1, state.waveCount)} of ${state.waveCount}`;
    const lines = [
      `**${this.phase()}**, ${where}: ${summary || 'no clusters'}`,
      ...(state.haltReason ? ['', `Halted: ${state.haltReason}`] : []),
    ];
    if (this.gate && !state.aborted) {
      const waitingFor = this.gate.stage ? `approval of stage ${this.gate.stage}` : 'canary approval';
      lines.push('', `**Waiting for ${waitingFor}** until ${this.gate.timeoutAt}`, '', ...gateSignalHelp(this.fleetId, this.input.requestedBy));
    }
    lines.push(...stageDetailLines(state));
    const refused = lastRefusalLine(state.refusedSignals);
    if (refused.length) lines.push('', ...refused);
    return lines.join('\n');
  }

  /**
   * Who stands in for the children's own gates: the admin who switched the fleet's gates off, or
   * `fleet:<id>` once someone other than the requester approved the canary gate (or any stage's
   * gate); null until then.
   */
  gateCover(): string | null {
    const { input, state } = this;
    if (isIdentity(input.gatesDisabledBy)) return input.gatesDisabledBy;
    const secondPerson = state.approvals.some((a) => !sameIdentity(a.by, input.requestedBy));
    const gateApproved = state.canaryApproved || !!state.stages?.some((stage) => stage.approvedBy);
    return gateApproved && secondPerson ? `fleet:${this.fleetId}` : null;
  }

  /** The stage whose gate waits now (staged runs), or null. */
  pendingStage(): FleetStageState | null {
    const name = this.gate?.stage;
    return name === undefined ? null : this.state.stages?.find((stage) => stage.name === name) ?? null;
  }

  /**
   * The selection, planned (first run only): in stages (`staged`, runs since the stages patch; the
   * old `waves` input as canary and rest), or in the waves of the runs before it.
   */
  select(selected: SelectedCluster[], staged = false): void {
    const { state } = this;
    if (staged) {
      const plan = planStages(selected, this.input);
      state.clusters = plan.clusters;
      state.stages = plan.stages;
      state.waveCount = plan.stages.length;
      const sizes = plan.stages.map((stage, index) => `${stage.name} ${plan.clusters.filter((c) => c.wave === index).length}`);
      addTimeline(state, 'selected', `${selected.length} clusters in ${plan.stages.length} stage(s): ${sizes.join(', ')}`);
    } else {
      const plan = planWaves(selected, this.input.waves?.canary ?? DEFAULTS.canary);
      state.clusters = plan.clusters;
      state.waveCount = plan.waveCount;
      addTimeline(state, 'selected', `${selected.length} clusters in ${plan.waveCount} wave(s)`);
    }
    for (const cluster of state.clusters) this.byId.set(cluster.id, cluster);
    state.selected = true;
    this.noteGates();
  }

  /** Says which gates cover the clusters, and why a setting that would skip one was not obeyed. */
  private noteGates(): void {
    const { input, state } = this;
    const admin = isIdentity(input.gatesDisabledBy) ? input.gatesDisabledBy : null;
    if (admin) return addTimeline(state, 'gates off', `switched off by ${admin}`);
    if (state.stages) {
      const gated = state.stages.filter((stage, index) => stage.approval && guardsNextStage(state, index));
      return addTimeline(state, 'gates kept', gated.length
        ? `each cluster keeps its own approval gate until a second person approved ${gated.map(gateLabel).join(' or ')}`
        : 'every cluster keeps its own approval gate: no stage gate guards a later stage (switching them off needs gatesDisabledBy, an admin)');
    }
    const canaryGate = state.waveCount > 1 && (input.waves?.canaryApproval ?? DEFAULTS.canaryApproval);
    const first = state.waveCount > 1 ? 'the canary wave keeps' : 'every cluster keeps';
    const rest = canaryGate ? '' : '; with no canary gate after it, so does every later wave';
    addTimeline(state, 'gates kept', `${first} its own approval gate${rest} (switching them off needs gatesDisabledBy, an admin)`);
  }

  fail(error: string): void {
    this.error = error;
    this.finalPhase = 'Failed';
    addTimeline(this.state, 'failed', error);
  }

  /** After an abort, what never started is reported as such. */
  markNotStarted(): void {
    for (const cluster of this.state.clusters) if (cluster.phase === 'Pending') cluster.phase = 'NotStarted';
  }

  /** The run's outcome, once nothing is running any more. */
  conclude(): void {
    const { state } = this;
    if (state.aborted) {
      this.finalPhase = this.rejected ? 'Rejected' : 'Aborted';
      if (this.rejected) this.error = state.aborted.reason;
    } else {
      this.finalPhase = state.clusters.some(isFailed) ? 'CompletedWithFailures' : 'Completed';
    }
    addTimeline(state, this.finalPhase);
  }

  /** cause 'soak': a soak's finding, lifted by `resume` only */
  halt(reason: string, cause?: 'soak'): void {
    this.state.halted = true;
    this.state.haltReason = reason;
    if (cause) this.state.haltCause = cause;
    addTimeline(this.state, 'halted', reason);
    this.onHalt?.(reason);
  }

  unhaltIfWithinBudget(): void {
    const { state } = this;
    if (state.halted && !state.haltCause && !overBudget(state, this.input)) {
      state.halted = false;
      state.haltReason = null;
      addTimeline(state, 'continuing', 'within the error budget');
    }
  }

  /** A rotation ended; past the error budget, the fleet halts before starting more. */
  finish(cluster: FleetCluster, outcome: FleetClusterPhase, message?: string): void {
    if (cluster.phase !== 'Running') return; // a second report (signal and result both) changes nothing
    const { state, input } = this;
    cluster.phase = outcome;
    cluster.finishedAt = new Date().toISOString();
    cluster.error = message ?? null;
    this.followed.delete(cluster.id);
    addTimeline(state, `cluster ${cluster.id} ${outcome}`, message);
    if (!state.halted && !state.aborted && this.hasPending() && overBudget(state, input)) {
      const budget = budgetOf(state, input);
      this.halt(`${budget.failed - budget.accepted} failed, error budget allows ${budget.allowed}`);
    }
    this.changed();
  }

  /** Follows a rotation this run did not start: attached to, or started by an earlier run of this fleet. */
  follow(cluster: FleetCluster): void {
    this.followed.add(cluster.id);
    this.changed();
  }
}
