// The client side of a cluster rotation: start one, read its latest run and status, and send it
// control Updates. Continuing a run that ended unfinished is client/resume.ts.
import {
  WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowExecutionDescription, type WorkflowHandle,
} from '@temporalio/client';
import type { SearchAttributePair, UpdateDefinition } from '@temporalio/common';
import {
  TASK_QUEUE, WORKFLOW_TYPES, clusterRotationWorkflowId, type UpdateName,
} from '../common/names.js';
import type {
  ClusterRotationWorkflowInput, RotationControlResult, RotationReport, RotationStatus,
} from '../common/types.js';
import { statusQuery } from '../workflows/definitions.js';
import { rotationSummary } from '../workflows/plan.js';
import { rotationStaticDetails } from '../workflows/staticDetails.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../common/searchAttributes.js';
import { ROTATION_UPDATES, type RotationControl } from './controls.js';
import { answerInTime, latestRunView } from './runs.js';
import { batchProgressOf } from './batchProgress.js';
import type { RotationView, StartedRun } from './views.js';

/** The clusterRotation workflow's signature, as the client sees it. */
type ClusterRotationWorkflow = (input: ClusterRotationWorkflowInput) => Promise<RotationReport>;
export type RotationHandle = WorkflowHandle<ClusterRotationWorkflow>;

/** A run just started: its ids, and its handle for callers that follow it (await its report, cancel it). */
export interface StartedRotation extends StartedRun {
  handle: RotationHandle;
}

export interface StartRotationOptions {
  /** shown in the static summary and set as LkeRegion from the start, when the caller knows it */
  region?: string;
  label?: string;
  taskQueue?: string;
}

/** The workflow refused a control Update; `reason` is its validator's explanation. */
export class ControlRefusedError extends Error {
  override name = 'ControlRefusedError';
  constructor(readonly update: UpdateName, readonly reason: string) {
    super(`${update} refused: ${reason}`);
  }
}

/** Starts `rotate-cluster-<id>`; throws WorkflowExecutionAlreadyStartedError if one is running. */
export async function startRotation(
  client: Client, input: ClusterRotationWorkflowInput, opts: StartRotationOptions = {},
): Promise<StartedRotation> {
  const searchAttributes: SearchAttributePair[] = [
    { key: LKE_CLUSTER_ID, value: input.clusterId },
    { key: REQUESTED_BY, value: input.requestedBy },
    { key: ROTATION_PHASE, value: 'Snapshotting' },
    ...(opts.region ? [{ key: LKE_REGION, value: opts.region }] : []),
    ...(input.fleetRotationId ? [{ key: FLEET_ROTATION_ID, value: input.fleetRotationId }] : []),
  ];
  const handle = await client.workflow.start<ClusterRotationWorkflow>(WORKFLOW_TYPES.clusterRotation, {
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowId: clusterRotationWorkflowId(input.clusterId),
    args: [input],
    typedSearchAttributes: searchAttributes,
    staticSummary: rotationSummary(input.clusterId, opts.region),
    staticDetails: rotationStaticDetails(input, opts.label),
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, handle };
}

/** The `status` Query of the cluster's latest rotation run. */
export async function getRotationStatus(client: Client, clusterId: number): Promise<RotationStatus> {
  return client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).query(statusQuery);
}

/** The cluster's latest rotation run and its status, or null when it never had one. */
export function getRotationView(client: Client, clusterId: number): Promise<RotationView | null> {
  return latestRunView(client, clusterRotationWorkflowId(clusterId), (run) => rotationStatusOf(client, run));
}

/**
 * A completed run's status comes from its result (the last history event): a Query would make a
 * worker replay the whole run, and dashboards poll finished rotations a lot. Open runs, and runs
 * that ended without a result (terminated, timed out), are asked the `status` Query; null when no
 * worker answers in time.
 */
async function rotationStatusOf(client: Client, run: WorkflowExecutionDescription): Promise<RotationStatus | null> {
  const handle = client.workflow.getHandle<ClusterRotationWorkflow>(run.workflowId, run.runId);
  if (run.status.name === 'COMPLETED') {
    const report = await handle.result();
    if (report.finalStatus) return report.finalStatus;
  }
  const status = await answerInTime(client, () => handle.query(statusQuery));
  if (!status || run.status.name !== 'RUNNING') return status;
  const batch = await batchProgressOf(client, run);
  return batch ? { ...status, batch } : status;
}

/**
 * Sends approve/reject/pause/resume/retry/skip/abort; a refusal becomes ControlRefusedError. The
 * input is passed as given: the workflow's validators judge it (and name what is missing).
 */
export async function sendControl(
  client: Client, clusterId: number, updateName: UpdateName, input: object = {},
): Promise<RotationControlResult> {
  const handle = client.workflow.getHandle(clusterRotationWorkflowId(clusterId));
  const update = ROTATION_UPDATES[updateName] as UpdateDefinition<RotationControlResult, [object]>;
  try {
    return await handle.executeUpdate(update, { args: [input] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ControlRefusedError(updateName, err.cause?.message ?? err.message);
    // The server answers an Update to a closed run with NotFound; to the caller that is a refusal.
    if (err instanceof WorkflowNotFoundError && /already completed/i.test(err.message)) {
      throw new ControlRefusedError(updateName, 'the rotation already ended');
    }
    throw err;
  }
}

/** sendControl for a typed control request. */
export function controlRotation(client: Client, clusterId: number, control: RotationControl): Promise<RotationControlResult> {
  return sendControl(client, clusterId, control.update, control.input);
}
