// Per-activity timeouts and retries, sized for real LKE: the new kubeconfig can take 5+ minutes to
// appear, a rollout or a node replacement several more. Waiting activities heartbeat, so a dead
// worker is noticed within the heartbeat timeout instead of the whole start-to-close window.
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { RotationActivities } from '../common/activities.js';
import type { RotationTuning } from '../common/types.js';

/**
 * Failure types (activities/errors.ts FailureType) that a retry cannot fix: a bad request, bad
 * credentials, a missing cluster, a paused Deployment. The activities already mark them
 * nonRetryable; listing them here keeps the workflow from hammering the API if one slips through.
 */
export const NON_RETRYABLE_ERROR_TYPES = [
  'LinodeBadRequest', 'LinodeUnauthorized', 'LinodeForbidden', 'LinodeNotFound', 'LinodeUnprocessable',
  'KubeBadRequest', 'KubeUnauthorized', 'KubeForbidden', 'BadKubeconfig', 'DeploymentPaused',
];

type ActivityName = keyof RotationActivities;

const SHAPE: Record<ActivityName, { startToClose: string; heartbeat?: string; attempts: number }> = {
  snapshotCluster: { startToClose: '3 minutes', attempts: 8 },
  deleteTokenSecrets: { startToClose: '2 minutes', attempts: 8 },
  regenerateCredentials: { startToClose: '1 minute', attempts: 8 },
  awaitKubeconfig: { startToClose: '20 minutes', heartbeat: '1 minute', attempts: 5 },
  verifyRotation: { startToClose: '15 minutes', heartbeat: '1 minute', attempts: 5 },
  deliverKubeconfig: { startToClose: '1 minute', attempts: 8 },
  restartWorkload: { startToClose: '30 minutes', heartbeat: '1 minute', attempts: 5 },
  recycleNode: { startToClose: '60 minutes', heartbeat: '2 minutes', attempts: 5 },
};

export function activityOptions(name: ActivityName, tuning: RotationTuning | undefined): ActivityOptions {
  const shape = SHAPE[name];
  const retry: RetryPolicy = {
    initialInterval: tuning?.activityRetryInitialIntervalMs ?? '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: tuning?.activityRetryMaximumIntervalMs ?? '1 minute',
    maximumAttempts: tuning?.activityMaximumAttempts ?? shape.attempts,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
  return {
    startToCloseTimeout: shape.startToClose,
    ...(shape.heartbeat ? { heartbeatTimeout: shape.heartbeat } : {}),
    retry,
  };
}
