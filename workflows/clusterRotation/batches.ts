// The restarts and the node recycles as batches: one heartbeating activity each (plus a drain
// preview before the recycle gate), so a cluster of 300 workloads and 30 nodes writes as much history
// as one of 3 and 1. The batch carries per-item progress in its heartbeat details; the workflow
// records its per-item results. A pause or a stop cancels the batch, which ends between items and
// answers with what it did; a Blocked item can be skipped alone (docs/design.md, "Restarts and drains").
import { ActivityFailure, CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { RecycleBatchResult, RestartBatchResult, RotationPlan } from '../../common/types.js';
import { nodeLabel, workloadLabel } from '../plan.js';
import type { RotationRun } from './run.js';
import { SKIPPED, call, runStep } from './stepRunner.js';

/** Runs a batch so that a pause or a stop cancels it; a batch cancelled before it answered did nothing this run knows of. */
async function interruptible<T extends { interrupted: boolean }>(run: RotationRun, exec: () => Promise<T>, none: T): Promise<T> {
  const batch = new CancellationScope();
  const watch = new CancellationScope();
  void watch.run(() => condition(() => (run.stop !== null && !run.compensating) || run.status.paused))
    .then(() => batch.cancel(), () => undefined);
  try {
    return await batch.run(exec);
  } catch (err) {
    if (isCancellation(err) || (err instanceof ActivityFailure && isCancellation(err.cause))) return none;
    throw err;
  } finally {
    watch.cancel();
  }
}

/** skip while Blocked on one item of a batch: that item alone is left out, and the batch runs on. */
function skipBlockedItem(run: RotationRun, labelOf: (item: string) => string | undefined): () => boolean {
  return () => {
    const item = run.status.lastError?.item;
    const label = item === undefined ? undefined : labelOf(item);
    if (label === undefined) return false;
    run.ledger.skipItem(label);
    // the step counts as skipped in part: the report lists it, and notDone names the item
    const step = run.status.lastError?.step;
    if (step) run.ledger.markSkipped(step);
    run.ledger.note(`skipped ${label}`, run.status.lastError?.message);
    return true;
  };
}

export async function restartWorkloadsBatched(run: RotationRun, planned: RotationPlan): Promise<void> {
  const snapshot = run.ledger.snapshot;
  if (!snapshot) throw new Error('no snapshot yet');
  // the snapshot's time, which a resumed run carries over: a retry or a resume sends the same value,
  // so a workload already restarted by this rotation is not restarted again
  const { clusterId, takenAt } = snapshot;
  const options = run.input.restart;
  const labels = new Set(planned.restartWorkloads.map(workloadLabel));
  for (;;) {
    const remaining = planned.restartWorkloads.filter((w) => !run.ledger.workloadSettled(w));
    if (!remaining.length) break;
    const result = await runStep(run, 'restartWorkloads', 'RestartingWorkloads', () => interruptible<RestartBatchResult>(run, () =>
      call(run, 'restartWorkloads', `Restart ${remaining.length} workloads`, {
        clusterId, workloads: remaining, restartedAt: takenAt,
        ...(options?.maxConcurrent ? { maxConcurrent: options.maxConcurrent } : {}),
        ...(options?.pauseBetweenMs ? { pauseBetweenMs: options.pauseBetweenMs } : {}),
      }), { restarted: [], interrupted: true }), skipBlockedItem(run, (item) => (labels.has(item) ? item : undefined)));
    if (result === SKIPPED) {
      for (const w of remaining) run.ledger.skipItem(workloadLabel(w));
      break;
    }
    for (const r of result.restarted) {
      if (!run.ledger.workloadSettled(r.workload)) run.ledger.recordRestart(r);
    }
    const paused = result.restarted.filter((r) => r.paused).map((r) => workloadLabel(r.workload));
    if (paused.length) run.ledger.note('paused Deployments left alone (never unpaused, not restarted)', paused.join(', '));
    // an interrupted batch: the next round's checkpoint waits out the pause or ends the run
  }
  run.ledger.complete('restartWorkloads');
}

/** Before the recycle gate: what each node's drain will evict and which budgets allow no disruption now. */
export async function previewDrain(run: RotationRun, planned: RotationPlan): Promise<void> {
  const status = run.status;
  if (!status.plan || status.plan.drain) return;
  try {
    const drain = await call(run, 'previewDrain', `Preview the drains of ${planned.recycleNodes.length} nodes`,
      { clusterId: run.input.clusterId, nodes: planned.recycleNodes });
    status.plan = { ...status.plan, drain };
    const held = drain.filter((d) => d.blockingBudgets.length || d.unmanaged.length);
    if (held.length) {
      run.ledger.note('drain preview: some nodes may be held', held.map((d) =>
        `${d.nodeName ?? d.nodeId}: ${[...d.blockingBudgets.map((b) => `budget ${b}`), ...d.unmanaged.map((p) => `unmanaged pod ${p}`)].join(', ')}`).join('; '));
    }
  } catch (err) {
    // a preview is for humans; the drain itself decides what holds a node
    if (!(err instanceof ActivityFailure)) throw err;
    run.ledger.note('drain preview unavailable', err.cause?.message ?? err.message);
  }
  run.ledger.changed();
}

export async function recycleNodesBatched(run: RotationRun, planned: RotationPlan): Promise<void> {
  const options = run.input.recycle;
  const byId = new Map(planned.recycleNodes.map((n) => [n.nodeId, nodeLabel(n)]));
  for (;;) {
    const remaining = planned.recycleNodes.filter((n) => !run.ledger.nodeSettled(n));
    if (!remaining.length) break;
    const result = await runStep(run, 'recycleNodes', 'RecyclingNodes', () => interruptible<RecycleBatchResult>(run, () =>
      call(run, 'recycleNodes', `Drain and recycle ${remaining.length} nodes`, {
        clusterId: run.input.clusterId, nodes: remaining,
        ...(options?.drainTimeoutMs ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
        ...(options?.evictUnmanagedPods ? { evictUnmanagedPods: true } : {}),
      }), { recycled: [], interrupted: true }), skipBlockedItem(run, (item) => byId.get(item)));
    if (result === SKIPPED) {
      for (const n of remaining) run.ledger.skipItem(nodeLabel(n));
      break;
    }
    for (const r of result.recycled) {
      const node = planned.recycleNodes.find((n) => n.nodeId === r.nodeId);
      if (node && !run.ledger.nodeSettled(node)) run.ledger.recordRecycle(r);
    }
  }
  run.ledger.complete('recycleNodes');
}
