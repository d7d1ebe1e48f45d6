// Per-activity timeouts and retries, sized for real LKE: the new kubeconfig can take 5+ minutes to
// appear, a rollout or a node replacement several more. Waiting activities heartbeat, so a dead
// worker is noticed within the heartbeat timeout instead of the whole start-to-close window.
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { LINODE_QUEUE_ACTIVITIES, type RotationActivities } from '../common/activities.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../common/failures.js';
import type { RotationTuning } from '../common/types.js';

export const NON_RETRYABLE_ERROR_TYPES = [...NON_RETRYABLE_FAILURE_TYPES];

type ActivityName = keyof RotationActivities;

const MINUTE = 60_000;

const SHAPE: Record<ActivityName, { startToCloseMs: number; heartbeatMs?: number; attempts: number }> = {
  snapshotCluster: { startToCloseMs: 3 * MINUTE, attempts: 8 },
  deleteTokenSecrets: { startToCloseMs: 2 * MINUTE, attempts: 8 },
  regenerateCredentials: { startToCloseMs: 1 * MINUTE, attempts: 8 },
  awaitKubeconfig: { startToCloseMs: 20 * MINUTE, heartbeatMs: 1 * MINUTE, attempts: 5 },
  recreateUserTokenSecrets: { startToCloseMs: 2 * MINUTE, attempts: 8 },
  verifyRotation: { startToCloseMs: 15 * MINUTE, heartbeatMs: 1 * MINUTE, attempts: 5 },
  deliverKubeconfig: { startToCloseMs: 1 * MINUTE, attempts: 8 },
  restartWorkload: { startToCloseMs: 30 * MINUTE, heartbeatMs: 1 * MINUTE, attempts: 5 },
  recycleNode: { startToCloseMs: 60 * MINUTE, heartbeatMs: 2 * MINUTE, attempts: 5 },
  // the batches: a whole cluster's workloads or nodes; progress lives in heartbeat details
  restartWorkloads: { startToCloseMs: 12 * 60 * MINUTE, heartbeatMs: 2 * MINUTE, attempts: 5 },
  recycleNodes: { startToCloseMs: 24 * 60 * MINUTE, heartbeatMs: 2 * MINUTE, attempts: 5 },
  previewDrain: { startToCloseMs: 3 * MINUTE, attempts: 8 },
  releaseKubeconfigs: { startToCloseMs: 1 * MINUTE, attempts: 3 },
};

const BATCHES = new Set<ActivityName>(['restartWorkloads', 'recycleNodes']);

export function activityOptions(name: ActivityName, tuning: RotationTuning | undefined, linodeTaskQueue?: string): ActivityOptions {
  const shape = SHAPE[name];
  const retry: RetryPolicy = {
    initialInterval: tuning?.activityRetryInitialIntervalMs ?? '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: tuning?.activityRetryMaximumIntervalMs ?? '1 minute',
    maximumAttempts: tuning?.activityMaximumAttempts ?? shape.attempts,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
  // never below a second: the server and the SDK need room for a heartbeat round trip
  const scaled = (ms: number) => Math.max(1_000, Math.round(ms * (tuning?.activityTimeoutScale ?? 1)));
  const onLinodeQueue = typeof linodeTaskQueue === 'string' && linodeTaskQueue !== '' && (LINODE_QUEUE_ACTIVITIES as readonly ActivityName[]).includes(name);
  return {
    ...(onLinodeQueue ? { taskQueue: linodeTaskQueue } : {}),
    // a batch stops between items when the workflow cancels it (pause, stop) and answers with what it
    // did: the workflow waits for that answer instead of dropping it
    ...(BATCHES.has(name) ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {}),
    startToCloseTimeout: scaled(shape.startToCloseMs),
    ...(shape.heartbeatMs ? { heartbeatTimeout: scaled(shape.heartbeatMs) } : {}),
    retry,
  };
}
