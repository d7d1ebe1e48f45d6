// Shared types: one cluster's rotation: input, steps, controls and status. Pure declarations only (workflows import them).
import type { RotationPhase, UpdateName } from '../names.js';
import type { ClusterSnapshot, DeleteTokensResult, DeliverResult, OldCredentials, RecreateTokensResult, RecycleResult, RestartResult, RotationPlan, TokenSecretOwner } from './snapshot.js';

// ---------------------------------------------------------------------------------------------
// Rotation input (docs/design.md, 'Fixed names').

/**
 * Which workloads are restarted after the rotation. 'affected' (the default for runs started since
 * the patch 'affected-restart-default'): exactly those whose pod templates use a token Secret the
 * rotation deletes (activities/affected.ts).
 */
export type RestartScope = 'none' | 'affected' | 'kube-system' | 'all' | { namespaces: string[] };

/** How workloads are restarted; the pacing applies to the batched restarts (docs/design.md, "Restarts and drains"). */
export interface RestartOptions {
  scope: RestartScope;
  /** workloads restarting at the same time; default 1 */
  maxConcurrent?: number;
  /** a pause after each workload's rollout is done, before the next starts; default 0 */
  pauseBetweenMs?: number;
}

/** How nodes are recycled: each is cordoned and drained first, as `kubectl drain` does. */
export interface RecycleOptions {
  mode: 'none' | 'rolling';
  /** how long a node's drain may take before the rotation is Blocked on it; default 10 min */
  drainTimeoutMs?: number;
  /** evict pods that no controller will recreate (kubectl drain --force); default false: such a node is Blocked */
  evictUnmanagedPods?: boolean;
}

/**
 * The approval gates (both on by default). Switching one off is a privilege: `disabledBy` names who
 * did (an admin through the API, or `fleet:<fleetId>` when the fleet's own approved gate covers the
 * child). A gate set false without `disabledBy` stays on (docs/design.md, "The controls").
 */
export interface GateSettings { beforeDelete?: boolean; beforeRecycle?: boolean; disabledBy?: string }

export interface ClusterRotationInput {
  clusterId: number;
  /** who asked for the rotation; a resumed run keeps the original requester (four-eyes) */
  requestedBy: string;
  approvals?: GateSettings;
  restart?: RestartOptions;
  recycle?: RecycleOptions;
  dryRun?: boolean;
  /** How long a gate waits for a human before the rotation ends as Rejected. Default 24 h. */
  gateTimeoutMs?: number;
  /** Set when a fleet rotation started this one. */
  fleetRotationId?: string;
  /** Set by resumeRotation(): carry the old run's progress into a new run. */
  resume?: ResumeState;
  /** Set by resumeRotation(): who asked for this run to continue the old one. */
  resumedBy?: string;
  /**
   * Send webhook notifications (gate waiting, Blocked, ended). Set by the API when the webhook is
   * configured, and by a fleet for its children; absent: the run schedules no notification.
   */
  notify?: boolean;
  /**
   * The task queue of the Linode-bound activities (common/names.ts, linodeTaskQueueOf): set by the
   * API (and by a fleet for its children); absent: they run on the rotation's own queue, as before.
   */
  linodeTaskQueue?: string;
}

// ---------------------------------------------------------------------------------------------
// The workflow's steps, control and status.

export const ROTATION_STEPS = [
  'snapshot',
  'approval',
  'deleteTokens',
  'regenerate',
  'awaitKubeconfig',
  'recreateUserTokens',
  'verify',
  'deliverKubeconfig',
  'restartWorkloads',
  'recycleApproval',
  'recycleNodes',
  'report',
] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** stage: a fleet's approve names the stage whose gate it answers (optional; refused when another stage waits) */
export interface ApproveInput { by: string; comment?: string; stage?: string }
export interface RejectInput { by: string; reason: string }
export interface AbortInput { by: string; reason: string }
/** pause, resume, retry, skip */
export interface ControlInput { by?: string }

/**
 * A control sent as a Signal that its decision refused. A Signal has no answer, so the refusal is
 * kept where the sender looks: the `status` Query, the timeline and Temporal Web's current details.
 */
export interface SignalRefusal {
  at: string;
  signal: UpdateName;
  /** the `by` of the input, when it named one */
  by: string | null;
  reason: string;
}

export interface Approval {
  gate: 'beforeDelete' | 'beforeRecycle';
  by: string;
  comment?: string;
  at: string;
}

export interface TimelineEntry {
  at: string;
  step: RotationStep | null;
  phase: RotationPhase;
  event: string;
  detail?: string;
}

export interface RotationError {
  step: RotationStep;
  message: string;
  type: string;
  at: string;
  /** TokenSecretMissing: the Secrets it names, so `skip` can tell user-owned ones from LKE's */
  tokenSecrets?: MissingTokenSecret[];
  /** a batched step Blocked on one item (a workload label or a node id): `skip` leaves out that item alone */
  item?: string;
}

/** A token Secret verify found missing or unfilled (the details of a TokenSecretMissing failure). */
export interface MissingTokenSecret { name: string; owner: TokenSecretOwner }

export interface RotationProgress {
  tokensDeleted: number;
  tokensTotal: number;
  workloadsRestarted: number;
  workloadsTotal: number;
  nodesRecycled: number;
  nodesTotal: number;
}

/**
 * A running batch's per-item progress (restartWorkloads: workload labels; recycleNodes: node ids),
 * read by the API and the CLI from its heartbeat details; the workflow never sets it.
 */
export interface BatchProgress {
  activity: 'restartWorkloads' | 'recycleNodes';
  attempt: number;
  lastHeartbeatAt: string | null;
  done: string[];
  inFlight: string[];
}

export interface RotationStatus {
  /** live progress of a running batch (client/batchProgress.ts); absent in the Query's own answer */
  batch?: BatchProgress;
  clusterId: number;
  label: string | null;
  region: string | null;
  requestedBy: string;
  /** who resumed this run from an earlier one (absent in older runs and runs not resumed) */
  resumedBy?: string | null;
  fleetRotationId: string | null;
  dryRun: boolean;
  phase: RotationPhase;
  step: RotationStep | null;
  paused: boolean;
  /**
   * a pause asked for inside the credential window: it takes effect right after the new kubeconfig
   * is delivered (docs/design.md, "The credential window")
   */
  pausePending?: boolean;
  /** Blocked inside the credential window: when the step is retried without a human */
  autoRetryAt?: string | null;
  plan: RotationPlan | null;
  progress: RotationProgress;
  pendingGate: { gate: 'beforeDelete' | 'beforeRecycle'; since: string; timeoutAt: string } | null;
  lastError: RotationError | null;
  approvals: Approval[];
  completedSteps: RotationStep[];
  skippedSteps: RotationStep[];
  /** after verify: the old admin token proven rejected, or not proven; null before (absent in older runs) */
  oldCredentials?: OldCredentials | null;
  /** user-owned token Secrets a human skipped at verify: not renewed */
  skippedTokenSecrets?: string[];
  /** controls sent as Signals that were refused, the latest last (absent until one is) */
  refusedSignals?: SignalRefusal[];
  /** the Linode API requests this run's steps made, by endpoint (absent until one is counted) */
  linodeCalls?: LinodeCallSummary;
  timeline: TimelineEntry[];
}

/**
 * Linode API requests by endpoint (`GET /lke/clusters/:id/kubeconfig`), as the activities counted
 * them: the requests of each step's attempt that succeeded (worker/linodeCallCounts.ts).
 */
export interface LinodeCallSummary {
  total: number;
  byEndpoint: Record<string, number>;
}

/** What the workflow returns: the run's report. */
export interface RotationReport {
  clusterId: number;
  phase: RotationPhase;
  requestedBy: string;
  dryRun: boolean;
  plan: RotationPlan | null;
  deleted: DeleteTokensResult | null;
  newFingerprint: string | null;
  delivered: DeliverResult | null;
  /** the user-owned token Secrets recreated after the regenerate (absent in older runs) */
  recreated?: RecreateTokensResult | null;
  /** whether verify proved the old admin token rejected (absent in older runs) */
  oldCredentials?: OldCredentials | null;
  restarted: RestartResult[];
  recycled: RecycleResult[];
  skippedSteps: RotationStep[];
  notDone: string[];
  /** the Linode API requests this run made, by endpoint (absent in older runs and when none was counted) */
  linodeCalls?: LinodeCallSummary;
  timeline: TimelineEntry[];
  /**
   * the `status` Query's answer at the end, so a closed run's status is read from its result
   * instead of a Query that makes a worker replay the whole history (absent in older runs)
   */
  finalStatus?: RotationStatus;
}

/** Carried from an unfinished run into the run that resumes it. */
export interface ResumeState {
  previousRunId: string;
  snapshot: ClusterSnapshot | null;
  approvals: Approval[];
  completedSteps: RotationStep[];
  /** partial results the old run recorded, so the new one repeats nothing destructive */
  deleted: DeleteTokensResult | null;
  restarted: RestartResult[];
  recycled: RecycleResult[];
  newFingerprint: string | null;
}

// ---------------------------------------------------------------------------------------------
// Workflow control results and tuning (added by the workflow engineer).

/** What every control Update (approve, reject, pause, resume, retry, skip, abort) returns. */
export interface RotationControlResult {
  phase: RotationPhase;
  step: RotationStep | null;
  paused: boolean;
  /** a pause accepted inside the credential window, to take effect after delivery */
  pausePending?: boolean;
  /** what the request did, or when it takes effect */
  message: string;
  /** set by approve: the approval as recorded (resumeRotation reads it back from history) */
  approval?: Approval;
}

/**
 * Knobs for tests and the time-scaled simulator. Production leaves them unset: activities then
 * retry with a 2 s initial interval, doubling to 1 min, up to their own attempt limits.
 */
export interface RotationTuning {
  activityRetryInitialIntervalMs?: number;
  activityRetryMaximumIntervalMs?: number;
  activityMaximumAttempts?: number;
  /**
   * multiplies every activity's start-to-close and heartbeat timeout: a simulator whose minutes take
   * milliseconds lets a wait that never ends give up (and the rotation block) in seconds
   */
  activityTimeoutScale?: number;
  /**
   * multiplies the backoff of a step Blocked inside the credential window (1 min doubling to 15 min)
   * before it is retried without a human
   */
  windowRetryScale?: number;
}

/** The clusterRotation workflow's argument: the section 5 input plus optional tuning. */
export type ClusterRotationWorkflowInput = ClusterRotationInput & { tuning?: RotationTuning };
