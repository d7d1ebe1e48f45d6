// The fleet's children: starting one clusterRotation per cluster (or attaching to the one already
// running), learning how each ended, and looking at the rotations this run follows without a handle.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ChildWorkflowCancellationType, ParentClosePolicy, TerminatedFailure, TimeoutFailure,
  condition, isCancellation, patched, proxyActivities, sleep, startChild,
} from '@temporalio/workflow';
import type { FleetActivities } from '../../common/fleetActivities.js';
import { WORKFLOW_TYPES, clusterRotationWorkflowId } from '../../common/names.js';
import type {
  ClusterRotationWorkflowInput, FleetCluster, FleetClusterPhase, RotationReport,
} from '../../common/types.js';
import { FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY } from '../../common/searchAttributes.js';
import { CHILD_STATIC_DETAILS } from '../clusterRotation/patches.js';
import { rotationStaticDetails } from '../staticDetails.js';
import { addTimeline, clusterPhaseOf, type FleetLedger } from './state.js';

// A short look at followed rotations, repeated every watchIntervalMs while there are any.
const { checkRotations } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});

type ChildRotation = (input: ClusterRotationWorkflowInput) => Promise<RotationReport>;

export function describeChildFailure(error: unknown): { phase: FleetClusterPhase; message: string } {
  if (isCancellation(error)) return { phase: 'Cancelled', message: 'rotation cancelled' };
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof TerminatedFailure) return { phase: 'Failed', message: 'rotation terminated' };
  if (cause instanceof TimeoutFailure) return { phase: 'Failed', message: 'rotation timed out' };
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return { phase: 'Failed', message };
}

/**
 * Rotations this fleet started report by signal; the look covers attached rotations (which do not
 * know this fleet) and any rotation that ended without reporting (terminated, or without the hook).
 */
export async function watchFollowed(fleet: FleetLedger): Promise<void> {
  const { state, followed } = fleet;
  for (;;) {
    await condition(() => followed.size > 0);
    await sleep(fleet.watchIntervalMs);
    const refs = state.clusters
      .filter((c) => followed.has(c.id) && c.phase === 'Running')
      .map((c) => ({ workflowId: c.workflowId!, runId: c.runId }));
    if (refs.length === 0) continue;
    const outcomes = await checkRotations.executeWithOptions(
      { summary: `Look at ${refs.length} followed rotation(s)` }, [refs]);
    for (const outcome of outcomes) {
      const cluster = state.clusters.find((c) => c.workflowId === outcome.workflowId && c.phase === 'Running');
      if (cluster) fleet.finish(cluster, clusterPhaseOf(outcome.phase), outcome.error);
    }
  }
}

export function childInput(fleet: FleetLedger, cluster: FleetCluster): ClusterRotationWorkflowInput {
  const { input } = fleet;
  const rotation = input.rotation ?? {};
  const cover = fleet.gateCover();
  return {
    ...rotation,
    clusterId: cluster.id,
    requestedBy: input.requestedBy,
    fleetRotationId: fleet.fleetId,
    // a fleet that notifies has rotations that notify (their gates, Blocked, their ends)
    ...(input.notify ? { notify: true } : {}),
    ...(input.linodeTaskQueue ? { linodeTaskQueue: input.linodeTaskQueue } : {}),
    // The fleet's canary gate stands in for per-cluster gates (unless the fleet asks for them) once a
    // second person approved it, or an admin switched the fleet's gates off; until then each
    // cluster keeps its own gates, so the requester alone never reaches a token delete.
    approvals: cover
      ? { beforeDelete: false, beforeRecycle: false, ...rotation.approvals, disabledBy: cover }
      : { ...rotation.approvals },
  };
}

/** Rotates one cluster as a child, or attaches to its rotation already running; records how it ended. */
export async function runCluster(fleet: FleetLedger, cluster: FleetCluster): Promise<void> {
  const { fleetId, input, state } = fleet;
  cluster.phase = 'Running';
  cluster.startedAt = new Date().toISOString();
  cluster.workflowId = clusterRotationWorkflowId(cluster.id);
  fleet.starting++;
  const childArgs = childInput(fleet, cluster);
  let result: Promise<RotationReport>;
  try {
    const handle = await startChild<ChildRotation>(WORKFLOW_TYPES.clusterRotation, {
      workflowId: cluster.workflowId,
      args: [childArgs],
      // A rotation between deleting tokens and verifying must finish even if the fleet is gone.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
      staticSummary: `Rotate LKE cluster ${cluster.id} (${cluster.region}) in ${fleetId}`,
      // Children started before this had a summary only: their start commands replay unchanged.
      ...(patched(CHILD_STATIC_DETAILS) ? { staticDetails: rotationStaticDetails(childArgs, cluster.label) } : {}),
      typedSearchAttributes: [
        { key: FLEET_ROTATION_ID, value: fleetId },
        { key: LKE_CLUSTER_ID, value: cluster.id },
        { key: LKE_REGION, value: cluster.region },
        { key: REQUESTED_BY, value: input.requestedBy },
      ],
    });
    cluster.runId = handle.firstExecutionRunId;
    result = handle.result();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      cluster.attached = true;
      addTimeline(state, `cluster ${cluster.id} attached`, 'a rotation of this cluster was already running');
      fleet.follow(cluster);
    } else {
      fleet.finish(cluster, 'Failed', `could not start the rotation: ${describeChildFailure(err).message}`);
    }
    return;
  } finally {
    fleet.starting--;
    fleet.changed();
  }
  try {
    const report = await result;
    // The report has no error field: a failed rotation's last timeline entry says what went wrong.
    const why = report.phase === 'Completed' ? undefined : report.timeline.at(-1)?.detail;
    fleet.finish(cluster, clusterPhaseOf(report.phase), why);
  } catch (err) {
    const failure = describeChildFailure(err);
    fleet.finish(cluster, failure.phase, failure.message);
  }
}
