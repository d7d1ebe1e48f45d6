// Shared types: a fleet's stages (docs/design.md, "Stages"). Pure declarations only (workflows import them).

/**
 * Which clusters a stage takes, from those no earlier stage took: the first `count` (by id), a
 * `percent` of the whole selection (rounded up), those in a `region` or with a `tag`, or `rest`.
 */
export type StageSelect =
  | { count: number }
  | { percent: number }
  | { region: string }
  | { tag: string }
  | { rest: true };

/** One stage as a caller writes it. */
export interface FleetStageInput {
  /** shown in the status and Temporal Web; default `stage-<n>` (1-based); unique within the fleet */
  name?: string;
  select: StageSelect;
  /** after this stage, wait for a second person's approval before the next (default false) */
  approval?: boolean;
  /** after this stage (and before its gate), watch its clusters' health this long; a regression halts the fleet */
  soakMs?: number;
}

export const STAGE_STATES = ['pending', 'running', 'soaking', 'awaitingApproval', 'done', 'halted'] as const;
export type StageState = (typeof STAGE_STATES)[number];

/** What a soak check found wrong on one cluster (null: the check itself failed): it halts the fleet. */
export interface SoakFinding { clusterId: number | null; reason: string; at: string }

/** A soak's course: how often the stage's health was checked, and what was found. */
export interface StageSoak {
  checks: number;
  lastCheckAt: string | null;
  /** the soak's planned end while it runs; null before and after */
  until: string | null;
  findings: SoakFinding[];
}

/** A stage as the fleet carries it across continue-as-new (its clusters are those with `wave` = its index). */
export interface FleetStageState {
  name: string;
  select: StageSelect;
  approval: boolean;
  soakMs: number;
  /** 'canary': the canary gate of the old `waves` input; 'stage': a stage's own gate */
  gateKind: 'canary' | 'stage';
  state: Exclude<StageState, 'halted'>;
  /** set once a second person approved this stage's gate */
  approvedBy: { by: string; comment?: string; at: string } | null;
  soak: StageSoak | null;
}

/** A stage in the `status` Query's answer. */
export interface FleetStageStatus {
  name: string;
  /** the select rule, in words */
  select: string;
  clusters: number;
  /** `halted` while the fleet is halted at this stage */
  state: StageState;
  approval: boolean;
  /** as in FleetStageState */
  gateKind: 'canary' | 'stage';
  approvedBy: { by: string; comment?: string; at: string } | null;
  soakMs: number;
  soak: StageSoak | null;
}

/** The soak check's baseline: per cluster, the workloads its rotation restarted and their ready replicas at the soak's start. */
export interface StageHealthBaseline {
  clusterId: number;
  workloads: { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'; namespace: string; name: string; ready: number }[];
}

export interface StageHealthInput {
  stage: string;
  /** the stage's clusters whose rotation completed, with the rotation to read the restarted workloads from */
  clusters: { clusterId: number; workflowId: string; runId: string | null }[];
  /** absent on the soak's first check: the check then records it */
  baseline?: StageHealthBaseline[];
}

export interface StageHealthResult {
  /** the first check's only (later checks were given it): history carries it once each way */
  baseline?: StageHealthBaseline[];
  findings: SoakFinding[];
}
