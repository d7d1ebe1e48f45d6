// The failure type names activities give their ApplicationFailures: the workflow decides retries
// and Blocked messages on them, humans read them in Temporal Web. One list, shared by both sides.

export const FailureType = {
  linodeBadRequest: 'LinodeBadRequest',
  linodeUnauthorized: 'LinodeUnauthorized',
  linodeForbidden: 'LinodeForbidden',
  linodeNotFound: 'LinodeNotFound',
  linodeConflict: 'LinodeConflict',
  linodeUnprocessable: 'LinodeUnprocessable',
  linodeRateLimited: 'LinodeRateLimited',
  linodeServerError: 'LinodeServerError',
  linodeMaintenance: 'LinodeMaintenance',
  linodeUnavailable: 'LinodeUnavailable',
  linodeBadResponse: 'LinodeBadResponse',
  kubeBadRequest: 'KubeBadRequest',
  kubeUnauthorized: 'KubeUnauthorized',
  kubeForbidden: 'KubeForbidden',
  kubeNotFound: 'KubeNotFound',
  kubeConflict: 'KubeConflict',
  kubeInvalid: 'KubeInvalid',
  kubeRateLimited: 'KubeRateLimited',
  kubeServerError: 'KubeServerError',
  kubeUnavailable: 'KubeUnavailable',
  kubeTlsFailed: 'KubeTlsFailed',
  kubeBadResponse: 'KubeBadResponse',
  badKubeconfig: 'BadKubeconfig',
  /** the kubeconfig turns TLS verification off or runs code (exec, auth-provider): never used */
  unsafeKubeconfig: 'UnsafeKubeconfig',
  kubeconfigNotReady: 'KubeconfigNotReady',
  kubeconfigChanged: 'KubeconfigChanged',
  kubeconfigRevoked: 'KubeconfigRevoked',
  /** the workflow (not an activity): new kubeconfigs kept being superseded; a human looks */
  kubeconfigSuperseded: 'KubeconfigSuperseded',
  oldTokenStillAccepted: 'OldTokenStillAccepted',
  verifyIncomplete: 'VerifyIncomplete',
  /** verify's wait ended with token Secrets still missing or unfilled; details name them (MissingTokenSecret[]) */
  tokenSecretMissing: 'TokenSecretMissing',
  rolloutNotDone: 'RolloutNotDone',
  recycleNotDone: 'RecycleNotDone',
  deploymentPaused: 'DeploymentPaused',
  /** a node's drain did not finish in its timeout; the message names the pods and budgets holding it, details [{nodeId}] */
  drainTimedOut: 'DrainTimedOut',
  /** a node holds pods no controller would recreate and the plan does not allow evicting them; details [{nodeId}] */
  unmanagedPods: 'UnmanagedPods',
  /** the node is the cluster's only schedulable Ready node and budgets guard its pods: they have nowhere to go; details [{nodeId}] */
  noRoomToDrain: 'NoRoomToDrain',
  rolloutFailed: 'RolloutFailed',
  sinkWriteFailed: 'SinkWriteFailed',
  /** the notification webhook could not be reached, or answered 408, 429 or 5xx: retried */
  webhookUnavailable: 'WebhookUnavailable',
  /** the notification webhook refused the event (another 4xx, or a redirect): not retried */
  webhookRejected: 'WebhookRejected',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/**
 * Failure types a retry cannot fix: a bad request, bad credentials, a missing cluster, a paused
 * Deployment. The activities already mark them nonRetryable; the workflow lists them in its retry
 * policies too, so one that slips through does not hammer the API.
 */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureTypeName[] = [
  FailureType.linodeBadRequest, FailureType.linodeUnauthorized, FailureType.linodeForbidden,
  FailureType.linodeNotFound, FailureType.linodeUnprocessable,
  FailureType.kubeBadRequest, FailureType.kubeUnauthorized, FailureType.kubeForbidden,
  FailureType.badKubeconfig, FailureType.unsafeKubeconfig, FailureType.deploymentPaused,
  FailureType.drainTimedOut, FailureType.unmanagedPods, FailureType.noRoomToDrain,
];
