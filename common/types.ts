// Types shared by the API, the workflows, the activities and the simulator.
// Pure declarations only: workflows import this file, so nothing here may touch I/O.
import type { RotationPhase } from './names.js';

// ---------------------------------------------------------------------------------------------
// Linode API v4 (LKE) shapes, as the real API returns them (docs/design.md, 'Facts about the real APIs').

export type LinodeClusterStatus = 'ready' | 'not_ready';
export type LinodeNodeStatus = 'ready' | 'not_ready';

export interface LkeCluster {
  id: number;
  label: string;
  region: string;
  k8s_version: string;
  status: LinodeClusterStatus;
  tier: 'standard' | 'enterprise';
  tags: string[];
  control_plane: { high_availability: boolean };
  created: string;
  updated: string;
}

export interface LkePoolNode {
  /** `<poolId>-<hex>` */
  id: string;
  instance_id: number | null;
  status: LinodeNodeStatus;
}

export interface LkePool {
  id: number;
  type: string;
  count: number;
  nodes: LkePoolNode[];
  tags: string[];
  disks: unknown[];
  autoscaler: { enabled: boolean; min: number; max: number };
}

export interface LinodePage<T> {
  data: T[];
  page: number;
  pages: number;
  results: number;
}

export interface LinodeErrorBody {
  errors: { reason: string; field?: string }[];
}

// ---------------------------------------------------------------------------------------------
// Rotation input (docs/design.md, 'Fixed names').

export type RestartScope = 'none' | 'kube-system' | 'all' | { namespaces: string[] };

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
  restart?: { scope: RestartScope };
  recycle?: { mode: 'none' | 'rolling' };
  dryRun?: boolean;
  /** How long a gate waits for a human before the rotation ends as Rejected. Default 24 h. */
  gateTimeoutMs?: number;
  /** Set when a fleet rotation started this one. */
  fleetRotationId?: string;
  /** Set by resumeRotation(): carry the old run's progress into a new run. */
  resume?: ResumeState;
  /** Set by resumeRotation(): who asked for this run to continue the old one. */
  resumedBy?: string;
}

// ---------------------------------------------------------------------------------------------
// What the snapshot records. References and fingerprints only: never a token or a kubeconfig.

/** Who made a token Secret: LKE (its service account is one of LKE's) or a user, for their own. */
export type TokenSecretOwner = 'lke' | 'user';

export interface TokenSecretRef {
  namespace: string;
  name: string;
  uid: string;
  serviceAccount: string;
  created: string;
  /** absent in older histories, which held LKE's only: 'lke' */
  owner?: TokenSecretOwner;
  /**
   * user-owned only: what recreating the Secret after the regenerate needs besides its name and
   * service account. Never anything that can carry secret data (see activities/kube/tokenSecrets.ts).
   */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeNodeRef {
  name: string;
  providerID: string | null;
  ready: boolean;
}

export interface PoolNodeRef {
  poolId: number;
  /** Linode's `<poolId>-<hex>` node id */
  nodeId: string;
  instanceId: number | null;
  status: LinodeNodeStatus;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

export interface ClusterSnapshot {
  clusterId: number;
  label: string;
  region: string;
  k8sVersion: string;
  tier: string;
  highAvailability: boolean;
  takenAt: string;
  /** sha256 prefix of the admin token in the kubeconfig at snapshot time; null if none was available */
  adminTokenFingerprint: string | null;
  tokenSecrets: TokenSecretRef[];
  nodes: KubeNodeRef[];
  poolNodes: PoolNodeRef[];
  workloads: WorkloadRef[];
  /**
   * 'rejected': the kubeconfig the Linode API serves answers 401 (an interrupted rotation, or the
   * guide's deletes done by hand). 'regenerating': the Linode API answers 503 for the kubeconfig, a
   * regeneration is under way (an interrupted rotation, or one by hand), and adminTokenFingerprint is
   * null. Either way nothing inside the cluster could be read, so tokenSecrets, nodes and workloads
   * are empty, and the rotation rolls forward (docs/design.md, "The credential window").
   * Absent: the credentials worked.
   */
  credentials?: 'rejected' | 'regenerating';
}

export interface RotationPlan {
  /** every token Secret in kube-system, LKE's and users' */
  deleteSecrets: TokenSecretRef[];
  /** the user-owned ones among them, recreated after the regenerate (absent in older runs) */
  recreateSecrets?: TokenSecretRef[];
  restartWorkloads: WorkloadRef[];
  recycleNodes: PoolNodeRef[];
  gates: { beforeDelete: boolean; beforeRecycle: boolean };
  /** set when the plan is a roll-forward (the cluster already has no working credentials): why */
  rollForward?: string;
}

// ---------------------------------------------------------------------------------------------
// Activity results.

export interface DeleteTokensResult {
  deleted: string[];
  alreadyGone: string[];
  /** same name, different uid: a Secret created after the snapshot; left alone */
  conflicts: string[];
}

export interface AwaitKubeconfigResult {
  fingerprint: string;
  attempts: number;
}

export interface RecreateTokensResult {
  created: string[];
  /** a Secret of that name with a new uid was already there (an earlier attempt, or its owner) */
  alreadyThere: string[];
  /** not recreated: its service account is gone, so the token controller would never fill it */
  serviceAccountMissing: string[];
}

export interface VerifyResult {
  nodesReady: number;
  serviceAccountsWithNewToken: string[];
  /** 'unchecked': the old kubeconfig was not at hand, so the old token is not proven dead */
  oldTokenRejected: boolean | 'unchecked';
  newFingerprint: string;
  /** user-owned token Secrets that hold a new token (absent in older runs) */
  userTokenSecretsRenewed?: string[];
  /** token Secrets a human skipped, not checked */
  excludedTokenSecrets?: string[];
}

export interface RegenerateResult {
  /** false when a retry found that an earlier attempt's regenerate had taken (503 or a new kubeconfig) */
  posted: boolean;
  /** the activity attempt that answered; posted on attempt > 1 is a second regenerate */
  attempt: number;
  /** why a retry POSTed again, or why it did not */
  reason?: string;
}

/** What verify proved about the old admin credential: rejected, or not proven (its kubeconfig was not at hand). */
export type OldCredentials = 'rejected' | 'notProven';

export interface DeliverResult {
  /** where the kubeconfig was written (a path for the directory sink) */
  location: string;
  fingerprint: string;
}

export interface RestartResult {
  workload: WorkloadRef;
  /** false when the annotation already had this rotation's value */
  patched: boolean;
}

export interface RecycleResult {
  nodeId: string;
  oldInstanceId: number | null;
  newInstanceId: number | null;
  /** true when the node was already on a new instance (an earlier attempt recycled it) */
  skipped: boolean;
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

export interface ApproveInput { by: string; comment?: string }
export interface RejectInput { by: string; reason: string }
export interface AbortInput { by: string; reason: string }
/** pause, resume, retry, skip */
export interface ControlInput { by?: string }

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

export interface RotationStatus {
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
  timeline: TimelineEntry[];
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

export interface SelectedCluster { id: number; label: string; region: string; k8sVersion: string }

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
  /** canary: clusters in the first wave (default 1, 0 for none); canaryApproval: gate after it (default true) */
  waves?: { canary?: number; canaryApproval?: boolean };
  /** most child rotations running at once (default 5) */
  concurrency?: number;
  /** default { count: 0 }: the first failure halts the fleet */
  errorBudget?: ErrorBudget;
  /** wait between waves, after the canary wave and before its gate */
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
  /** set by the workflow itself when it continues as new */
  carried?: FleetCarriedState;
}

export const FLEET_PHASES = [
  'Selecting', 'Running', 'Soaking', 'AwaitingApproval', 'Paused', 'Halted', 'Aborting',
  'Completed', 'CompletedWithFailures', 'Rejected', 'Aborted', 'Failed',
] as const;
export type FleetPhase = (typeof FLEET_PHASES)[number];

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
  pendingGate: { gate: 'canary'; since: string; timeoutAt: string } | null;
  soakUntil: string | null;
  counts: Record<FleetClusterPhase, number>;
  clusters: FleetCluster[];
  approvals: FleetApproval[];
  /** how many runs this fleet rotation has taken (continue-as-new) */
  runs: number;
  timeline: FleetTimelineEntry[];
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
