// The fixed names of docs/design.md, 'Fixed names': outside tools (the Temporal CLI, Temporal Web filters,
// kubectl, curl scripts) depend on them, so they live in one place and never change casually.

export const TASK_QUEUE = 'lke-rotation';
/**
 * The task queue of the activities that are mostly Linode requests (snapshot, regenerate, the
 * kubeconfig wait), beside the rotation's own: its workers ask the server for a rate of activity
 * starts that fits the Linode budget, so rotations queue for it in Temporal (visible, bounded by no
 * timeout) instead of inside activities (docs/design.md, "One Linode budget").
 */
export const linodeTaskQueueOf = (taskQueue: string): string => `${taskQueue}-linode`;
export const LINODE_TASK_QUEUE = linodeTaskQueueOf(TASK_QUEUE);

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

/**
 * The memo of a cluster rotation (Temporal Web shows it): the label and region once the snapshot has
 * read the cluster, and the approvals given so far, which a resume reads back from history
 * (an approval sent as a Signal has no Update result there).
 */
export const MEMO_KEYS = { clusterLabel: 'clusterLabel', region: 'region', approvals: 'approvals' } as const;

/** Environment variable names read by the worker, the API, the demo and the tests. */
export const ENV = {
  temporalAddress: 'TEMPORAL_ADDRESS',
  temporalNamespace: 'TEMPORAL_NAMESPACE',
  temporalCliPath: 'TEMPORAL_CLI_PATH',
  temporalWebUrl: 'TEMPORAL_WEB_URL',
  linodeApiUrl: 'LINODE_API_URL',
  linodeToken: 'LINODE_TOKEN',
  linodeTokenFile: 'LINODE_TOKEN_FILE',
  /** a read-only token for the API, which only reads clusters; default the worker's token */
  linodeReadToken: 'LINODE_READ_TOKEN',
  linodeReadTokenFile: 'LINODE_READ_TOKEN_FILE',
  /** the part of the account's Linode API limits this service may use, 0 < share <= 1; default 0.5 (other tools share the token) */
  linodeBudgetShare: 'LKE_ROTATOR_LINODE_BUDGET_SHARE',
  /** the account's general Linode limit, requests per window (Linode raises it on request); default 1600 */
  linodeGeneralLimit: 'LKE_ROTATOR_LINODE_GENERAL_LIMIT',
  /** that limit's window; default 120000 ms */
  linodeGeneralWindowMs: 'LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS',
  /** the pause between polls of the long waits (rollouts, drains, recycles); default 5000 ms */
  pollIntervalMs: 'LKE_ROTATOR_POLL_INTERVAL_MS',
  /** LKE's known delay before a regenerated kubeconfig is served: its first poll waits this long; default 24 poll intervals (2 min) */
  kubeconfigDelayMs: 'LKE_ROTATOR_KUBECONFIG_DELAY_MS',
  /** LKE's least time to replace a recycled node: the wait for it polls first after this long; default 12 poll intervals (1 min) */
  nodeRecycleDelayMs: 'LKE_ROTATOR_NODE_RECYCLE_DELAY_MS',
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
  /** the worker's own Prometheus metrics (GET /metrics) on this port; unset: off */
  metricsPort: 'LKE_ROTATOR_METRICS_PORT',
  /** the Temporal SDK's Prometheus metrics (Runtime telemetry) on this port; unset: off */
  sdkMetricsPort: 'LKE_ROTATOR_SDK_METRICS_PORT',
  /** both or neither: the API serves https with this certificate chain and key (PEM files) */
  apiTlsCertFile: 'API_TLS_CERT_FILE',
  apiTlsKeyFile: 'API_TLS_KEY_FILE',
  /** requests per minute per caller under /v1 (0: no limit); default 600 */
  apiRateLimitPerMinute: 'API_RATE_LIMIT_PER_MINUTE',
  /** GET /v1/rotations/:clusterId may answer from a read this recent; default 5000 ms, 0: every request reads */
  apiStatusMaxAgeMs: 'API_STATUS_MAX_AGE_MS',
  /** how long one request may wait on Temporal before a 504; default 10000 ms */
  apiTemporalDeadlineMs: 'API_TEMPORAL_DEADLINE_MS',
  /** the notification webhook (README.md, "Notifications"); unset: notifications off. URL and secret, each direct or from a file */
  webhookUrl: 'LKE_ROTATOR_WEBHOOK_URL',
  webhookUrlFile: 'LKE_ROTATOR_WEBHOOK_URL_FILE',
  webhookSecret: 'LKE_ROTATOR_WEBHOOK_SECRET',
  webhookSecretFile: 'LKE_ROTATOR_WEBHOOK_SECRET_FILE',
  /** the API's base URL as people reach it, for links in notifications; unset: no API link */
  apiUrl: 'LKE_ROTATOR_API_URL',
} as const;

export const DEFAULT_LINODE_API_URL = 'https://api.linode.com';

/** Token Secrets are this type in kube-system; the runbook deletes exactly these. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Signal a child rotation sends its fleet (by workflow id, which survives continue-as-new) when it ends. */
export const CLUSTER_FINISHED_SIGNAL = 'clusterFinished';
