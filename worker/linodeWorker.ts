// The Linode worker: the activities that are mostly Linode requests (common/activities.ts,
// LINODE_QUEUE_ACTIVITIES) on their own task queue, beside the rotation worker of the same process.
// Each asks the server for the same rate of activity starts on that queue
// (maxTaskQueueActivitiesPerSecond), which the server holds for all workers together: with 200
// rotations at once, the ones past the rate wait in Temporal's queue (no timeout runs there, and
// Temporal Web shows them scheduled) instead of inside activities, where a wait for the budget would
// run into start-to-close timeouts. The rate is the budget's share of Linode's general limit over
// the requests such an activity makes; activities/linode/budget.ts still paces every request
// against what Linode reports (docs/design.md, "One Linode budget").
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { LINODE_QUEUE_ACTIVITIES, LINODE_REQUESTS_PER_QUEUED_ACTIVITY } from '../common/activities.js';
import { LINODE_GENERAL_LIMIT, linodeBudgetPerSecond } from '../common/lke.js';
import { LINODE_TASK_QUEUE } from '../common/names.js';
import { DEFAULT_BUDGET_SHARE } from '../activities/linode/budget.js';
import { linodeCallCounts } from './linodeCallCounts.js';

/** Activity starts per second on the Linode queue, across all workers, for a share of the account. */
export function linodeActivityRate(share = DEFAULT_BUDGET_SHARE, general = LINODE_GENERAL_LIMIT): number {
  return linodeBudgetPerSecond(share, general) / LINODE_REQUESTS_PER_QUEUED_ACTIVITY;
}

export interface LinodeWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** default lke-rotation-linode; tests may use their own (linodeTaskQueueOf) */
  taskQueue?: string;
  /** the process's activities: the Linode-bound ones are taken from it */
  activities: object;
  /** the part of the account's limits to use (LKE_ROTATOR_LINODE_BUDGET_SHARE); default 0.5 */
  share?: number;
  /** the account's general limit (LKE_ROTATOR_LINODE_GENERAL_LIMIT / _WINDOW_MS); default Linode's documented one */
  general?: { limit: number; windowMs: number };
  workerOptions?: Pick<WorkerOptions, 'dataConverter' | 'identity' | 'shutdownGraceTime'>;
}

export function createLinodeWorker(opts: LinodeWorkerOptions): Promise<Worker> {
  const all = opts.activities as Record<string, unknown>;
  const activities = Object.fromEntries(LINODE_QUEUE_ACTIVITIES.map((name) => [name, all[name]]));
  return Worker.create({
    maxHeartbeatThrottleInterval: '2 seconds',
    ...opts.workerOptions,
    interceptors: { activity: [linodeCallCounts] },
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? LINODE_TASK_QUEUE,
    activities,
    maxTaskQueueActivitiesPerSecond: linodeActivityRate(opts.share, opts.general),
  });
}
