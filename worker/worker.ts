// The rotation worker: registers every workflow of workflows/index and the given activities on the
// task queue. Tests pass fake activities, worker/main.ts the live ones; the workflows are the real
// ones either way.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { InjectedSinks, NativeConnection, WorkerOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RotationMetricsSinks } from '../workflows/metricsSink.js';
import { TASK_QUEUE } from '../common/names.js';
import { cachedBundle } from './bundleCache.js';
import { linodeCallCounts } from './linodeCallCounts.js';

// Under tsx this file is worker.ts and the workflows are .ts sources; compiled into dist/ both are .js.
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface RotationWorkerOptions {
  connection: NativeConnection;
  /** default "default" */
  namespace?: string;
  /** default `lke-rotation` (docs/design.md, 'Fixed names'); tests may use a unique one */
  taskQueue?: string;
  /** the implementations, real or fake; keyed by activity name */
  activities: object;
  /** any other Worker option (identity, concurrency limits, shutdownGraceTime, ...) */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities' | 'workflowsPath' | 'workflowBundle'>;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * The workflow bundle, built once per process (every worker of a process runs the same workflow
 * code) and cached on disk across processes while the sources stay the same: webpack takes seconds.
 */
export function rotationWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= cachedBundle(WORKFLOWS_PATH, () => bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger })).catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
}

/** Workers (and replays) without metrics still take the workflows' sink calls, so none is reported as unregistered. */
export const UNCOUNTED: InjectedSinks<RotationMetricsSinks> = { rotationMetrics: { phaseChanged: { fn: () => undefined } } };

export async function createRotationWorker(opts: RotationWorkerOptions): Promise<Worker> {
  return Worker.create({
    sinks: UNCOUNTED,
    // a pause or a stop reaches a running batch (restarts, recycles) as a cancel in a heartbeat's
    // answer: heartbeats go out at least this often, so it arrives within seconds, not a minute
    maxHeartbeatThrottleInterval: '2 seconds',
    ...opts.workerOptions,
    interceptors: {
      ...opts.workerOptions?.interceptors,
      activity: [linodeCallCounts, ...(opts.workerOptions?.interceptors?.activity ?? [])],
    },
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: opts.activities,
    workflowBundle: await rotationWorkflowBundle(),
  });
}

// The bundler reports progress at info level on every start; only its warnings and errors matter.
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
