// Types shared by the API, the workflows, the activities and the simulator.
// Pure declarations only: workflows import this file, so nothing here may touch I/O.
import type { RotationPhase } from './names.js';

// ---------------------------------------------------------------------------------------------
// Linode API v4 (LKE) shapes, as the real API returns them (ROTATION.md section 2).

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
// Rotation input (ROTATION.md section 5).

export type RestartScope = 'none' | 'kube-system' | 'all' | { namespaces: string[] };

export interface ClusterRotationInput {
  clusterId: number;
  requestedBy: string;
  approvals?: { beforeDelete?: boolean; beforeRecycle?: boolean };
  restart?: { scope: RestartScope };
  recycle?: { mode: 'none' | 'rolling' };
  dryRun?: boolean;
  /** How long a gate waits for a human before the rotation ends as Rejected. Default 24 h. */
  gateTimeoutMs?: number;
  /** Set when a fleet rotation started this one. */
  fleetRotationId?: string;
  /** Set by resumeRotation(): carry the old run's progress into a new run. */
  resume?: ResumeState;
}

// ---------------------------------------------------------------------------------------------
// What the snapshot records. References and fingerprints only: never a token or a kubeconfig.

export interface TokenSecretRef {
  namespace: string;
  name: string;
  uid: string;
  serviceAccount: string;
  created: string;
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
}

export interface RotationPlan {
  deleteSecrets: TokenSecretRef[];
  restartWorkloads: WorkloadRef[];
  recycleNodes: PoolNodeRef[];
  gates: { beforeDelete: boolean; beforeRecycle: boolean };
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

export interface VerifyResult {
  nodesReady: number;
  serviceAccountsWithNewToken: string[];
  oldTokenRejected: boolean | 'unchecked';
  newFingerprint: string;
}

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
}

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
  fleetRotationId: string | null;
  dryRun: boolean;
  phase: RotationPhase;
  step: RotationStep | null;
  paused: boolean;
  plan: RotationPlan | null;
  progress: RotationProgress;
  pendingGate: { gate: 'beforeDelete' | 'beforeRecycle'; since: string; timeoutAt: string } | null;
  lastError: RotationError | null;
  approvals: Approval[];
  completedSteps: RotationStep[];
  skippedSteps: RotationStep[];
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
  restarted: RestartResult[];
  recycled: RecycleResult[];
  skippedSteps: RotationStep[];
  notDone: string[];
  timeline: TimelineEntry[];
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
