// Restarting workloads (kubectl rollout restart + rollout status): one workload, and the batch that
// restarts a rotation's workloads in one heartbeating activity, so history does not grow with their
// number (docs/design.md, "Restarts and drains").
import { Context } from '@temporalio/activity';
import type { RestartWorkloadsInput } from '../../common/activities.js';
import type { RestartBatchResult, RestartResult, WorkloadRef } from '../../common/types.js';
import { FailureType } from '../../common/failures.js';
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable } from '../errors.js';
import type { KubePort } from '../ports.js';
import { rolloutStatus } from '../rollout.js';
import { done, notYet, resumed, type ActivityContext } from './context.js';

/** A workload's rollout may take this long inside a batch before the attempt fails and Temporal retries it. */
const ROLLOUT_LIMIT_MS = 15 * 60_000;

export const workloadKey = (w: WorkloadRef): string => `${w.kind} ${w.namespace}/${w.name}`;

/** Heartbeat details of the batch: what is done, and what is in flight (for a human in Temporal Web). */
interface RestartBatchProgress {
  attempts: number;
  done: Record<string, { patched: boolean; paused?: true }>;
  inFlight: string[];
}

export interface RestartOneOptions {
  /** a paused Deployment: reported as paused (batch) instead of failing (the single-workload activity of older runs) */
  reportPaused: boolean;
  /** the rollout's limit (epoch ms); default: the attempt's budget */
  until?: number;
  onPatched?: () => void;
}

/** Sets restartedAt unless already set to it (so never twice), then waits for rollout done as kubectl judges it. */
export async function restartOne(
  shared: ActivityContext, kube: KubePort, clusterId: number, workload: WorkloadRef, restartedAt: string,
  progress: { attempts: number }, options: RestartOneOptions,
): Promise<RestartResult> {
  const log = Context.current().log;
  const id = workloadKey(workload);
  const ref = { kind: workload.kind, namespace: workload.namespace, name: workload.name };
  let patched = false;
  const state = await kube.getWorkload(ref);
  if (state.restartedAt !== restartedAt) {
    // kubectl refuses to restart a paused Deployment: the new template would never roll out; never unpause it
    if (state.kind === 'Deployment' && state.paused) {
      if (options.reportPaused) {
        log.warn('paused Deployment left alone', { clusterId, workload: id });
        return { workload, patched: false, paused: true };
      }
      throw nonRetryable(FailureType.deploymentPaused, `${id} in cluster ${clusterId} is paused; resume it or skip the restart`);
    }
    await kube.patchRestartedAt(ref, restartedAt);
    patched = true;
    options.onPatched?.();
    log.info('workload restart requested', { clusterId, workload: id, restartedAt });
  }
  await shared.waitFor(`cluster ${clusterId}: rollout of ${id}`, FailureType.rolloutNotDone, progress, async () => {
    const status = rolloutStatus(await kube.getWorkload(ref));
    if (status.state === 'failed') {
      throw ApplicationFailure.create({
        type: FailureType.rolloutFailed, message: `cluster ${clusterId}: ${status.message}`, nonRetryable: true, details: [{ item: id }],
      });
    }
    return status.state === 'done' ? done(true) : notYet(status.message);
  }, { until: options.until });
  log.info('workload rolled out', { clusterId, workload: id, patched });
  return { workload, patched };
}

/**
 * Up to maxConcurrent workloads at a time, each to rollout done, with an optional pause after each.
 * A retry (a crash, a lost worker) resumes from the heartbeat: done workloads are not touched, and
 * one in flight finds its annotation set and only waits. A cancel (the workflow's pause or stop)
 * ends it between workloads with what it did.
 */
export async function restartBatch(shared: ActivityContext, input: RestartWorkloadsInput): Promise<RestartBatchResult> {
  const ctx = Context.current();
  const { clusterId, workloads, restartedAt } = input;
  const maxConcurrent = Math.max(1, input.maxConcurrent ?? 1);
  const progress = resumed<RestartBatchProgress>({ attempts: 0, done: {}, inFlight: [] });
  progress.inFlight = [];
  let interrupted = false;
  ctx.cancelled.catch(() => { interrupted = true; });
  const beat = () => ctx.heartbeat({ attempts: progress.attempts, done: { ...progress.done }, inFlight: [...progress.inFlight] });
  const kube = shared.deps.kube(await shared.currentKubeconfig(clusterId));
  const queue = workloads.filter((w) => !(workloadKey(w) in progress.done));

  // a failed workload stops every lane from taking another: the batch answers only once none is in flight
  let failed = false;
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next && !interrupted && !failed; next = queue.shift()) {
      const key = workloadKey(next);
      progress.inFlight.push(key);
      beat();
      // the batch's own progress: every poll's heartbeat carries what is done so far
      const result = await restartOne(shared, kube, clusterId, next, restartedAt, progress, {
        reportPaused: true, until: Date.now() + ROLLOUT_LIMIT_MS,
      });
      progress.done[key] = { patched: result.patched, ...(result.paused ? { paused: true as const } : {}) };
      progress.inFlight = progress.inFlight.filter((k) => k !== key);
      beat();
      if (input.pauseBetweenMs && queue.length) await ctx.sleep(input.pauseBetweenMs);
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(maxConcurrent, queue.length) }, () => lane().catch((err: unknown) => {
    failed = true;
    throw err;
  })));
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  // stopped on purpose: what is done is kept; a workload in flight has its annotation and finishes on its own
  if (failure && !interrupted) throw failure.reason;
  const restarted = workloads.filter((w) => workloadKey(w) in progress.done)
    .map((w): RestartResult => ({ workload: w, ...progress.done[workloadKey(w)] }));
  ctx.log.info('workload batch ended', { clusterId, restarted: restarted.length, of: workloads.length, interrupted });
  return { restarted, interrupted };
}
