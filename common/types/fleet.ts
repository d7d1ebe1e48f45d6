// Shared types: fleet rotation. Pure declarations only (workflows import them).
import type { RotationPhase } from '../names.js';
import type { ClusterRotationWorkflowInput, SignalRefusal } from './rotation.js';
import type { FleetStageInput, FleetStageState, FleetStageStatus } from './stages.js';

// ---------------------------------------------------------------------------------------------
// Fleet rotation (docs/design.md, 'The fleet'): selection, waves, error budget, status.

/**
 * All given criteria must match; within tags and regions, any one listed value matches. No
 * criterion selects every cluster of the account, and only with `all: true` said out loud.
 */
export interface FleetSelector {
  all?: boolean;
  clusterIds?: number[];
  tags?: string[];
  regions?: string[];
  /** a glob on the label (`*`, `?`), or a regular expression written `/source/flags` */
  labelPattern?: string;
}

export interface SelectedCluster {
  id: number; label: string; region: string; k8sVersion: string;
  /** the cluster's Linode tags, for stages that select by tag (absent in older runs) */
  tags?: string[];
}

/** The per-cluster rotation options a fleet passes to each child clusterRotation (tuning: for the time-scaled simulator). */
export type FleetClusterOptions =
  Pick<ClusterRotationWorkflowInput, 'approvals' | 'restart' | 'recycle' | 'dryRun' | 'gateTimeoutMs' | 'tuning'>;

/** Failures allowed before the fleet halts: an absolute count, or a percentage of the selected clusters. */
export type ErrorBudget = { count: number } | { percent: number };

export interface FleetRotationInput {
  /** the workflow id is `rotate-fleet-<name>` */
  name: string;
  requestedBy: string;
  selector: FleetSelector;
  /** children's gates default to beforeDelete: false (the fleet's canary gate stands in for them) */
  rotation?: FleetClusterOptions;
  /**
   * the shorthand for two stages (canary, then the rest): canary: clusters in the first wave
   * (default 1, 0 for none); canaryApproval: gate after it (default true). Not with `stages`.
   */
  waves?: { canary?: number; canaryApproval?: boolean };
  /** the fleet's stages, in order (docs/design.md, "Stages"); replaces `waves` and `soakMs` */
  stages?: FleetStageInput[];
  /** most child rotations running at once (default 5) */
  concurrency?: number;
  /** default { count: 0 }: the first failure halts the fleet */
  errorBudget?: ErrorBudget;
  /** the canary stage's soak (a health check of its clusters), before its gate; not with `stages` */
  soakMs?: number;
  /** the canary gate's timeout (default 24 h), after which the fleet ends Rejected */
  approvalTimeoutMs?: number;
  /** continue-as-new once the run's history passes this many events (default 10000, at least 100, or when the server suggests it) */
  maxHistoryEvents?: number;
  /** how often rotations the fleet follows without a child handle (attached, or carried over continue-as-new) are looked at; default 60 s */
  watchIntervalMs?: number;
  /**
   * the admin who let this fleet pass without the usual gates (canary 0, no canary approval, child
   * gates off); without it the fleet's children keep their own gates until a second person
   * approved the fleet's canary gate (docs/design.md, "The controls")
   */
  gatesDisabledBy?: string;
  /** send webhook notifications (canary gate, waves, halt, end), and so do its rotations; set by the API when the webhook is configured */
  notify?: boolean;
  /** the task queue of its rotations' Linode-bound activities (ClusterRotationInput.linodeTaskQueue); set by the API */
  linodeTaskQueue?: string;
  /** set by the workflow itself when it continues as new */
  carried?: FleetCarriedState;
}

export const FLEET_PHASES = [
  'Selecting', 'Running', 'Soaking', 'AwaitingApproval', 'Paused', 'Halted', 'Aborting',
  'Completed', 'CompletedWithFailures', 'Rejected', 'Aborted', 'Failed',
] as const;
export type FleetPhase = (typeof FLEET_PHASES)[number];

/** The phases a fleet rotation ends in (its report's phase). */
export const FLEET_END_PHASES: readonly FleetPhase[] = ['Completed', 'CompletedWithFailures', 'Rejected', 'Aborted', 'Failed'];

export const FLEET_CLUSTER_PHASES = [
  'Pending', 'Running', 'Completed', 'Rejected', 'Cancelled', 'Failed', 'Skipped', 'NotStarted',
] as const;
/** `Running` while the child runs (client/fleets.ts can fill in the child's own phase); then its end phase */
export type FleetClusterPhase = (typeof FLEET_CLUSTER_PHASES)[number];

export interface FleetCluster extends SelectedCluster {
  /** 0 = canary wave when there is one */
  wave: number;
  phase: FleetClusterPhase;
  /** the child rotation followed (started by this fleet, or attached to) */
  workflowId: string | null;
  runId: string | null;
  /** true when a rotation of this cluster was already running and the fleet followed it instead */
  attached: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export interface FleetApproval { by: string; comment?: string; at: string }

export interface FleetTimelineEntry { at: string; event: string; detail?: string }

/** What one run hands the next on continue-as-new: everything but the per-run handles. */
export interface FleetCarriedState {
  selected: boolean;
  clusters: FleetCluster[];
  waveCount: number;
  currentWave: number;
  canaryApproved: boolean;
  approvals: FleetApproval[];
  paused: boolean;
  halted: boolean;
  haltReason: string | null;
  aborted: { by: string; reason: string } | null;
  /** failures the operators accepted with `resume` while halted; the budget counts failures beyond them */
  acceptedFailures: number;
  runs: number;
  timeline: FleetTimelineEntry[];
  /** controls sent as Signals that were refused, the latest last (absent until one is) */
  refusedSignals?: SignalRefusal[];
  /** the stages, one per wave (absent in runs started before stages: canary and rest as waves 0 and 1) */
  stages?: FleetStageState[];
  /** 'soak': the halt is a soak's finding, which only `resume` accepts (retry and skip do not lift it); absent otherwise */
  haltCause?: 'soak';
}

export interface FleetStatus {
  fleetRotationId: string;
  name: string;
  requestedBy: string;
  phase: FleetPhase;
  paused: boolean;
  halted: boolean;
  haltReason: string | null;
  aborted: { by: string; reason: string } | null;
  /** why the fleet ended Failed (selection failed), or Rejected (canary gate rejected or timed out) */
  error: string | null;
  concurrency: number;
  errorBudget: { allowed: number; failed: number; accepted: number };
  waveCount: number;
  currentWave: number;
  /** gate 'canary' for the canary stage of the `waves` shorthand (and runs started before stages), 'stage' for a stage's own; stage: its name */
  pendingGate: { gate: 'canary' | 'stage'; stage?: string; since: string; timeoutAt: string } | null;
  soakUntil: string | null;
  counts: Record<FleetClusterPhase, number>;
  clusters: FleetCluster[];
  approvals: FleetApproval[];
  /** how many runs this fleet rotation has taken (continue-as-new) */
  runs: number;
  timeline: FleetTimelineEntry[];
  /** controls sent as Signals that were refused, the latest last (absent until one is) */
  refusedSignals?: SignalRefusal[];
  /** the stages with their state, gate and soak findings (absent in runs started before stages) */
  stages?: FleetStageStatus[];
}

/** What fleetRotation returns. */
export type FleetReport = FleetStatus;

/** Sent by a child rotation to its fleet's workflow id when it ends, so the fleet survives continue-as-new. */
export interface ClusterFinishedSignal {
  clusterId: number;
  workflowId: string;
  runId: string;
  phase: RotationPhase;
  error?: string;
}

/** skip: the failed clusters (or only these) are marked Skipped and the fleet goes on */
export interface FleetSkipInput { by?: string; clusterIds?: number[] }
