// Shared types: what a snapshot records and what the activities answer. Pure declarations only (workflows import them).
import type { LinodeNodeStatus } from './linode.js';

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
  /** cordoned (spec.unschedulable); absent when false, and in older histories */
  unschedulable?: true;
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
  /** restart scope 'affected': how its pod template uses a deleted token Secret, e.g. "secret volume ci-token" */
  uses?: string[];
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
  /** every node of every pool, as Linode lists them; empty when the snapshot was asked without pools (no node recycle planned) */
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
  /** per node, what its drain will evict and what holds it (set before the recycle gate; absent in older runs) */
  drain?: NodeDrainPreview[];
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
  /** a paused Deployment: reported and left alone (never unpaused, never restarted) */
  paused?: true;
}

/** What the batched restart did; `interrupted`: it stopped between workloads for a pause or a stop. */
export interface RestartBatchResult {
  restarted: RestartResult[];
  interrupted: boolean;
}

/** What the batched recycle did; `interrupted`: it stopped between nodes for a pause or a stop. */
export interface RecycleBatchResult {
  recycled: RecycleResult[];
  interrupted: boolean;
}

/** One node's drain, as the recycle gate shows it before anything is evicted. */
export interface NodeDrainPreview {
  nodeId: string;
  /** the Kubernetes Node (null when none has the node's providerID) */
  nodeName: string | null;
  /** namespace/name of each pod the drain evicts (DaemonSet and mirror pods stay) */
  evict: string[];
  /** pods no controller would recreate: a drain refuses them unless recycle.evictUnmanagedPods */
  unmanaged: string[];
  /** namespace/name of each PodDisruptionBudget over these pods that allows no disruption right now */
  blockingBudgets: string[];
}

export interface RecycleResult {
  nodeId: string;
  oldInstanceId: number | null;
  newInstanceId: number | null;
  /** true when the node was already on a new instance (an earlier attempt recycled it) */
  skipped: boolean;
  /** pods evicted by the drain before the recycle (absent in older runs, which did not drain) */
  evicted?: number;
}
