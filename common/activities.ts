// The activity contract between the workflows (which proxy these) and activities/ (which implement
// them in createActivities(deps)). Inputs and results carry references and fingerprints, never a
// token or a kubeconfig: everything here lands in workflow history.
import type {
  AwaitKubeconfigResult, ClusterSnapshot, DeleteTokensResult, DeliverResult, KubeNodeRef, PoolNodeRef,
  NodeDrainPreview, RecreateTokensResult, RecycleBatchResult, RecycleResult, RegenerateResult, RestartBatchResult, RestartResult,
  RestartScope, TokenSecretRef, VerifyResult, WorkloadRef,
} from './types.js';

export interface SnapshotInput {
  clusterId: number;
  restartScope: RestartScope;
  /**
   * false: the node pools are not read (no node recycle is planned): a list of pools is a collection
   * GET, which Linode limits to 100 a minute for the whole account; absent: read, as before
   */
  pools?: boolean;
}

export interface DeleteTokensInput { clusterId: number; secrets: TokenSecretRef[] }

export interface RegenerateInput {
  clusterId: number;
  /**
   * the snapshot's admin-token fingerprint: a retried attempt that finds the kubeconfig regenerating
   * (503) or already changed does not POST again
   */
  previousFingerprint?: string | null;
  /**
   * an earlier regenerate activity of this rotation (Blocked and retried, or in the run it resumes)
   * may have POSTed: even attempt 1 looks for the sign first (absent: only attempts after the first)
   */
  lookFirst?: boolean;
}

export interface AwaitKubeconfigInput {
  clusterId: number;
  /** the fingerprint the new kubeconfig's token must differ from (the snapshot's) */
  previousFingerprint: string | null;
  /**
   * new kubeconfigs this rotation already took and lost (a 401 in verify or deliver: superseded by a
   * later regenerate); a kubeconfig with one of these is not accepted again
   */
  supersededFingerprints?: string[];
}

export interface VerifyInput {
  clusterId: number;
  /** the kubeconfig to verify with, by fingerprint (the activity fetches it) */
  newFingerprint: string;
  previousFingerprint: string | null;
  nodes: KubeNodeRef[];
  /**
   * token Secrets from the snapshot: each LKE service account must have a new one (new uid), each
   * user-owned Secret must exist again by name with a new uid and a token
   */
  oldSecrets: TokenSecretRef[];
  /** names of token Secrets a human skipped: not checked */
  excludeSecrets?: string[];
}

export interface RecreateTokensInput {
  clusterId: number;
  /** the new kubeconfig to write with, by fingerprint (the activity fetches it) */
  newFingerprint: string;
  /** the user-owned token Secrets from the snapshot */
  secrets: TokenSecretRef[];
}

export interface DeliverInput { clusterId: number; label: string; fingerprint: string }

export interface RestartWorkloadInput {
  clusterId: number;
  workload: WorkloadRef;
  /** the annotation value, derived from the rotation so a retry does not restart twice */
  restartedAt: string;
}

export interface RecycleNodeInput { clusterId: number; node: PoolNodeRef }

/** The batched restart: one heartbeating activity for all of a rotation's workloads (history constant in their number). */
export interface RestartWorkloadsInput {
  clusterId: number;
  /** the workloads still to restart (the workflow leaves out those done or skipped) */
  workloads: WorkloadRef[];
  restartedAt: string;
  /** default 1 */
  maxConcurrent?: number;
  /** default 0 */
  pauseBetweenMs?: number;
}

/** The batched recycle: each node cordoned, drained, recycled and replaced, one at a time, in one activity. */
export interface RecycleNodesInput {
  clusterId: number;
  /** the nodes still to recycle (the workflow leaves out those done or skipped) */
  nodes: PoolNodeRef[];
  /** default 10 min */
  drainTimeoutMs?: number;
  evictUnmanagedPods?: boolean;
}

export interface PreviewDrainInput { clusterId: number; nodes: PoolNodeRef[] }

export interface ReleaseKubeconfigsInput { clusterId: number }

export interface ReleaseKubeconfigsResult {
  /** how many cached kubeconfigs of the cluster this worker forgot (0 when another worker held them) */
  released: number;
}

export interface RotationActivities {
  /** read-only: cluster, kubeconfig fingerprint, token Secrets, Nodes, pools, workloads in scope */
  snapshotCluster(input: SnapshotInput): Promise<ClusterSnapshot>;
  /** deletes exactly these Secrets with uid preconditions; 404 = done; uid conflict = left alone */
  deleteTokenSecrets(input: DeleteTokensInput): Promise<DeleteTokensResult>;
  /**
   * POST /regenerate {kubeconfig: true, servicetoken: true}; a retry after an unknown outcome first
   * watches for a sign the earlier POST took. Old histories recorded no result (undefined).
   */
  regenerateCredentials(input: RegenerateInput): Promise<RegenerateResult | void>;
  /** heartbeating: polls GET /kubeconfig until a new, working kubeconfig appears */
  awaitKubeconfig(input: AwaitKubeconfigInput): Promise<AwaitKubeconfigResult>;
  /**
   * creates each user-owned token Secret again (same name, labels, annotations; no data) for the
   * token controller to fill; one already there with a new uid, or a conflict, counts as done
   */
  recreateUserTokenSecrets(input: RecreateTokensInput): Promise<RecreateTokensResult>;
  /** heartbeating: nodes Ready, new token Secrets per service account, old token rejected */
  verifyRotation(input: VerifyInput): Promise<VerifyResult>;
  /** writes the new kubeconfig to the sink (0600, atomic rename) */
  deliverKubeconfig(input: DeliverInput): Promise<DeliverResult>;
  /** heartbeating: sets restartedAt (unless already set to it) and waits for rollout done */
  restartWorkload(input: RestartWorkloadInput): Promise<RestartResult>;
  /** heartbeating: recycles one node and waits for its replacement, skipping one already replaced */
  recycleNode(input: RecycleNodeInput): Promise<RecycleResult>;
  /**
   * heartbeating, batched: restarts the workloads up to maxConcurrent at a time, each to rollout done
   * (a paused Deployment reported and skipped); progress in heartbeat details, so a retry after a
   * crash restarts nothing twice; a cancel stops it between workloads with what it did
   */
  restartWorkloads(input: RestartWorkloadsInput): Promise<RestartBatchResult>;
  /**
   * heartbeating, batched: per node, cordon, evict its pods through the Eviction API (honouring
   * PodDisruptionBudgets), recycle, wait for the replacement Ready; a drain past its timeout fails
   * DrainTimedOut naming the pods and budgets that hold it (details: {nodeId}); a cancel stops it between nodes
   */
  recycleNodes(input: RecycleNodesInput): Promise<RecycleBatchResult>;
  /** read-only: per node, the pods its drain would evict and the PodDisruptionBudgets that allow no disruption now */
  previewDrain(input: PreviewDrainInput): Promise<NodeDrainPreview[]>;
  /** the rotation ended: the worker forgets its cached kubeconfigs of the cluster; safe to run twice */
  releaseKubeconfigs(input: ReleaseKubeconfigsInput): Promise<ReleaseKubeconfigsResult>;
}

/**
 * The activities that are mostly Linode requests, run on the Linode task queue when the run names
 * one (ClusterRotationInput.linodeTaskQueue): the snapshot's two reads, the regenerate's POST, the
 * kubeconfig wait's poll or two.
 */
export const LINODE_QUEUE_ACTIVITIES = ['snapshotCluster', 'regenerateCredentials', 'awaitKubeconfig'] as const satisfies readonly (keyof RotationActivities)[];
/**
 * What the queue's rate of activity starts is sized by (worker/linodeWorker.ts): a rotation makes
 * about 5.5 Linode requests for its 3 queued activities (the later steps read a kubeconfig a worker
 * has not cached), 1.8 each (npm run bench -- scale). At that rate the queue paces the account's
 * general budget: Linode's replies show the general bucket only once it is the tightest, which at
 * half the account comes after the 800-a-minute bucket of the endpoint in use, so Linode's count
 * (activities/linode/budget.ts) cannot hold the general share alone (at 1.5 the bench's busiest
 * 2-minute window passed 881 requests against a share of 800).
 */
export const LINODE_REQUESTS_PER_QUEUED_ACTIVITY = 1.8;
