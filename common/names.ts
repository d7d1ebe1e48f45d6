// The fixed names of docs/design.md, 'Fixed names': outside tools (the Temporal CLI, Temporal Web filters,
// kubectl, curl scripts) depend on them, so they live in one place and never change casually.

export const TASK_QUEUE = 'lke-rotation';

export const WORKFLOW_TYPES = {
  clusterRotation: 'clusterRotation',
  fleetRotation: 'fleetRotation',
} as const;

export const clusterRotationWorkflowId = (clusterId: number): string => `rotate-cluster-${clusterId}`;
export const fleetRotationWorkflowId = (name: string): string => `rotate-fleet-${name}`;

export const UPDATE_NAMES = ['approve', 'reject', 'pause', 'resume', 'retry', 'skip', 'abort'] as const;
export type UpdateName = (typeof UPDATE_NAMES)[number];

export const STATUS_QUERY = 'status';

export const ROTATION_PHASES = [
  'Snapshotting',
  'AwaitingApproval',
  'DeletingTokens',
  'Regenerating',
  'AwaitingKubeconfig',
  'Verifying',
  'DeliveringKubeconfig',
  'RestartingWorkloads',
  'AwaitingRecycleApproval',
  'RecyclingNodes',
  'Blocked',
  'Compensating',
  'Completed',
  'Rejected',
  'Cancelled',
  'Failed',
] as const;
export type RotationPhase = (typeof ROTATION_PHASES)[number];

export const TERMINAL_PHASES: readonly RotationPhase[] = ['Completed', 'Rejected', 'Cancelled', 'Failed'];

// Search attributes: common/searchAttributes.ts (typed SDK keys).

/** The memo of a cluster rotation, set once the snapshot has read the cluster (Temporal Web shows it). */
export const MEMO_KEYS = { clusterLabel: 'clusterLabel', region: 'region' } as const;

/** Environment variable names read by the worker, the API, the demo and the tests. */
export const ENV = {
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalNamespace: 'TEMPORAL_NAMESPACE',
  temporalCliPath: 'TEMPORAL_CLI_PATH',
  temporalWebUrl: 'TEMPORAL_WEB_URL',
  linodeApiUrl: 'LINODE_API_URL',
  linodeToken: 'LINODE_TOKEN',
  linodeTokenFile: 'LINODE_TOKEN_FILE',
  kubeconfigDir: 'KUBECONFIG_DIR',
  /** `directory` (default) or `secret` */
  kubeconfigSink: 'KUBECONFIG_SINK',
  kubeconfigSecretNamespace: 'KUBECONFIG_SECRET_NAMESPACE',
  /** the management cluster's kubeconfig for the `secret` sink outside a pod; in a pod, its service account */
  kubeconfigSinkKubeconfig: 'KUBECONFIG_SINK_KUBECONFIG',
  codecKeysFile: 'LKE_ROTATOR_CODEC_KEYS_FILE',
  apiHost: 'API_HOST',
  apiPort: 'API_PORT',
  apiTokensFile: 'API_TOKENS_FILE',
} as const;

export const DEFAULT_LINODE_API_URL = 'https://api.linode.com';

/** Token Secrets are this type in kube-system; the runbook deletes exactly these. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Signal a child rotation sends its fleet (by workflow id, which survives continue-as-new) when it ends. */
export const CLUSTER_FINISHED_SIGNAL = 'clusterFinished';
