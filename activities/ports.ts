// The ports the activities are written against. The real adapters (activities/linode/,
// activities/kube/, activities/kubeconfig/) implement them over the network and the file system; tests
// implement them in memory. Every method either returns a value or throws an ApplicationFailure
// classified by activities/errors.ts (a type from common/failures.ts + retryable flag), never a raw client error, so callers
// can decide on `failure.type` and nothing secret rides along in an error.
import type {
  KubeNodeRef, LinodePage, LkeCluster, LkePool, LkePoolNode, RestartScope, TokenSecretRef, WorkloadRef,
} from '../common/types.js';

// ---------------------------------------------------------------------------------------------
// Linode API v4 (LKE)

/**
 * Which clusters to list, in the domain's words; every given criterion must hold. The Linode adapter
 * turns it into Linode's X-Filter (activities/linode/filter.ts), so no caller writes filter syntax.
 */
export interface ClusterCriteria {
  /** a cluster with any of these tags */
  tags?: readonly string[];
  /** a cluster in any of these regions */
  regions?: readonly string[];
  /** a cluster whose label contains this text */
  labelContains?: string;
}

export interface ListClustersOptions {
  where?: ClusterCriteria;
  /** from 1 */
  page?: number;
  /** 25..500, default 100 */
  pageSize?: number;
}

/** GET /kubeconfig either has one or answers 503 "not yet available" (minutes after create/regenerate). */
export type KubeconfigFetch =
  | { status: 'ready'; kubeconfig: string }
  | { status: 'notReady' };

export interface RegenerateRequest { kubeconfig: boolean; servicetoken: boolean }

export interface LinodePort {
  getCluster(clusterId: number): Promise<LkeCluster>;
  listClusters(options?: ListClustersOptions): Promise<LinodePage<LkeCluster>>;
  /** every pool of the cluster (all pages) */
  listPools(clusterId: number): Promise<LkePool[]>;
  /** the decoded kubeconfig YAML, or notReady on a 503 without X-Maintenance-Mode */
  getKubeconfig(clusterId: number): Promise<KubeconfigFetch>;
  regenerate(clusterId: number, request: RegenerateRequest): Promise<void>;
  deleteServiceToken(clusterId: number): Promise<void>;
  deleteKubeconfig(clusterId: number): Promise<void>;
  recycleNode(clusterId: number, nodeId: string): Promise<void>;
  getNode(clusterId: number, nodeId: string): Promise<LkePoolNode>;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes API of one cluster, reached with one kubeconfig

export interface TokenSecretInfo extends TokenSecretRef {
  /** fingerprint of the Secret's data.token (sha256 prefix), so a caller can tell which Secret backs a kubeconfig; null while unfilled */
  tokenFingerprint: string | null;
  labels: Record<string, string>;
  /** without those that can carry secret data (activities/kube/tokenSecrets.ts) */
  annotations: Record<string, string>;
}

/** A service-account token Secret to create without data: the token controller fills it. */
export interface NewTokenSecret {
  namespace: string;
  name: string;
  serviceAccount: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** 'exists': the name is taken (409 AlreadyExists) */
export type CreateOutcome = 'created' | 'exists';

export type DeleteOutcome = 'deleted' | 'notFound' | 'conflict';

/** Can this credential read the cluster? 'unauthorized' = 401 (token unknown, invalidated or not yet valid). */
export type AccessCheck = 'ok' | 'unauthorized';

interface WorkloadStateBase {
  namespace: string;
  name: string;
  generation: number;
  observedGeneration: number;
  /** the pod template's kubectl.kubernetes.io/restartedAt annotation */
  restartedAt: string | null;
}

export interface DeploymentState extends WorkloadStateBase {
  kind: 'Deployment';
  paused: boolean;
  specReplicas: number;
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  progressDeadlineExceeded: boolean;
}

export interface StatefulSetState extends WorkloadStateBase {
  kind: 'StatefulSet';
  updateStrategy: 'RollingUpdate' | 'OnDelete';
  partition: number;
  /**
   * spec.updateStrategy.rollingUpdate is set: kubectl then judges by updatedReplicas against the
   * partition; without it, by currentRevision == updateRevision (absent: judged by updatedReplicas)
   */
  partitioned?: boolean;
  /** status.currentRevision and status.updateRevision: a rollout without a partition is done when they agree */
  currentRevision?: string | null;
  updateRevision?: string | null;
  specReplicas: number;
  readyReplicas: number;
  updatedReplicas: number;
}

export interface DaemonSetState extends WorkloadStateBase {
  kind: 'DaemonSet';
  updateStrategy: 'RollingUpdate' | 'OnDelete';
  desiredNumberScheduled: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
}

export type WorkloadState = DeploymentState | StatefulSetState | DaemonSetState;

/** A pod as `kubectl drain` sorts it. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  /** kind of the controller ownerReference (ReplicaSet, StatefulSet, DaemonSet, Job...), null when none */
  controllerKind: string | null;
  /** a static pod's mirror (annotation kubernetes.io/config.mirror): the kubelet owns it, eviction cannot move it */
  mirror: boolean;
  /** Succeeded or Failed: nothing runs, so its eviction disrupts nothing */
  finished: boolean;
  /** has a deletionTimestamp: already going, not evicted again */
  terminating: boolean;
}

/** A PodDisruptionBudget as the drain needs it (policy/v1). */
export interface DisruptionBudgetInfo {
  namespace: string;
  name: string;
  /** spec.selector.matchLabels; null when the selector has none (or uses expressions: matched conservatively) */
  matchLabels: Record<string, string> | null;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
}

/** An eviction's answer: 'blocked' is the apiserver's 429 TooManyRequests (a budget allows no disruption now). */
export type EvictOutcome = { outcome: 'evicted' } | { outcome: 'gone' } | { outcome: 'blocked'; message: string };

/** How a workload's pod template may use a Secret: what restart scope 'affected' reads. */
export interface PodTemplateUse {
  ref: WorkloadRef;
  serviceAccountName: string | null;
  /** every Secret the template names, and how: "secret volume", "projected volume", "env", "envFrom" */
  secretRefs: { name: string; via: string }[];
}

export interface KubePort {
  /** Secrets of type kubernetes.io/service-account-token in the namespace */
  listTokenSecrets(namespace: string): Promise<TokenSecretInfo[]>;
  /** creates a service-account token Secret with no data */
  createTokenSecret(secret: NewTokenSecret): Promise<CreateOutcome>;
  serviceAccountExists(namespace: string, name: string): Promise<boolean>;
  /** delete with a uid precondition: 404 -> notFound, 409 (uid mismatch) -> conflict */
  deleteSecret(namespace: string, name: string, uid: string): Promise<DeleteOutcome>;
  listNodes(): Promise<KubeNodeRef[]>;
  listWorkloads(scope: RestartScope): Promise<WorkloadRef[]>;
  getWorkload(ref: WorkloadRef): Promise<WorkloadState>;
  /** strategic merge patch of spec.template.metadata.annotations[kubectl.kubernetes.io/restartedAt] */
  patchRestartedAt(ref: WorkloadRef, restartedAt: string): Promise<void>;
  checkAccess(): Promise<AccessCheck>;
  /** the workloads of a namespace with the Secrets and service account their pod templates use */
  listPodTemplates(namespace: string): Promise<PodTemplateUse[]>;
  /** sets spec.unschedulable (kubectl cordon); cordoning twice is fine */
  cordonNode(name: string): Promise<void>;
  /** every pod bound to the node (field selector spec.nodeName) */
  listPodsOnNode(name: string): Promise<PodInfo[]>;
  /** POST pods/<name>/eviction (policy/v1); 404 -> gone, 429 -> blocked */
  evictPod(namespace: string, name: string): Promise<EvictOutcome>;
  listDisruptionBudgets(): Promise<DisruptionBudgetInfo[]>;
}

export type KubePortFactory = (kubeconfigYaml: string) => KubePort;

// ---------------------------------------------------------------------------------------------
// Where delivered kubeconfigs go

export interface KubeconfigSink {
  /** replaces the cluster's kubeconfig (owner-only, atomically); returns where it went */
  write(clusterId: number, label: string, kubeconfigYaml: string): Promise<string>;
  /** the cluster's currently delivered kubeconfig, or null */
  read(clusterId: number): Promise<string | null>;
}

/** Worker-local store of kubeconfigs by cluster and token fingerprint (never in workflow history). */
export interface KubeconfigCache {
  get(clusterId: number, fingerprint: string): Promise<string | null>;
  put(clusterId: number, fingerprint: string, kubeconfigYaml: string): Promise<void>;
  /** forgets every entry of the cluster (its rotation ended); returns how many; safe to run twice */
  release(clusterId: number): Promise<number>;
}
