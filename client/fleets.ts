// The client side of a fleet rotation: start one, read its latest run and status (with each
// running child's own phase), and steer it with control Updates. Schedules: client/schedules.ts.
import {
  WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle,
} from '@temporalio/client';
import type { SearchAttributePair, UpdateDefinition } from '@temporalio/common';
import {
  TASK_QUEUE, WORKFLOW_TYPES, clusterRotationWorkflowId, fleetRotationWorkflowId,
} from '../common/names.js';
import type { FleetReport, FleetRotationInput, FleetStatus } from '../common/types.js';
import { fleetStatusQuery, statusQuery } from '../workflows/definitions.js';
import { describeSelector } from '../workflows/fleetRotation/state.js';
import { fleetStaticDetails } from '../workflows/staticDetails.js';
import { FLEET_ROTATION_ID, REQUESTED_BY } from '../common/searchAttributes.js';
import { FLEET_UPDATES, type FleetControl } from './controls.js';
import { answerInTime, describeLatest, latestRunView } from './runs.js';
import type { FleetClusterView, FleetStatusView, FleetView, StartedRun } from './views.js';

const FLEET_ID_PREFIX = fleetRotationWorkflowId('');

/** A fleet is named by its `name` or by its workflow id (scheduled runs carry a time suffix on the id). */
export const fleetWorkflowIdOf = (nameOrId: string): string =>
  nameOrId.startsWith(FLEET_ID_PREFIX) ? nameOrId : fleetRotationWorkflowId(nameOrId);

/** The fleet's name from its workflow id. */
export const fleetNameOf = (workflowId: string): string => workflowId.slice(FLEET_ID_PREFIX.length);

/** The fleetRotation workflow's signature, as the client sees it. */
export type FleetWorkflow = (input: FleetRotationInput) => Promise<FleetReport>;

/** The search attributes a fleet run carries, whether started now or by a schedule. */
export function fleetSearchAttributes(input: FleetRotationInput, workflowId: string): SearchAttributePair[] {
  return [
    { key: FLEET_ROTATION_ID, value: workflowId },
    { key: REQUESTED_BY, value: input.requestedBy },
  ];
}

export const fleetSummaryText = (input: FleetRotationInput): string =>
  `Rotate LKE fleet ${input.name}: ${describeSelector(input.selector)}`;

/** Where the workflow runs; its children run on the same task queue. Default `lke-rotation`. */
export interface FleetStartOptions {
  taskQueue?: string;
  /** default fleet-rotation-<name>; a resumed scheduled fleet keeps its own id */
  workflowId?: string;
}

/** Throws WorkflowExecutionAlreadyStartedError when a fleet rotation of that name is running. */
export async function startFleetRotation(
  client: Client, input: FleetRotationInput, options: FleetStartOptions = {},
): Promise<StartedRun> {
  const workflowId = options.workflowId ?? fleetRotationWorkflowId(input.name);
  const handle = await client.workflow.start<FleetWorkflow>(WORKFLOW_TYPES.fleetRotation, {
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowId,
    args: [input],
    typedSearchAttributes: fleetSearchAttributes(input, workflowId),
    staticSummary: fleetSummaryText(input),
    staticDetails: fleetStaticDetails(input),
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

export const fleetHandle = (client: Client, nameOrId: string): WorkflowHandle<FleetWorkflow> =>
  client.workflow.getHandle<FleetWorkflow>(fleetWorkflowIdOf(nameOrId));

/** How many running children are asked for their phase at once. */
const CHILD_QUERY_BATCH = 20;

export interface FleetStatusOptions {
  /** also ask each running child rotation for its own phase (the fleet workflow cannot query its children itself) */
  withRotationPhases?: boolean;
}

/** The fleet's status, or null when there is no such fleet. */
export async function getFleetStatus(
  client: Client, nameOrId: string, options: FleetStatusOptions = {},
): Promise<FleetStatusView | null> {
  const run = await describeLatest(client, fleetWorkflowIdOf(nameOrId));
  return run ? fleetStatusOf(client, run, options) : null;
}

/** The fleet's latest run and its status with each running child's phase; null when there is no such fleet. */
export function getFleetView(client: Client, nameOrId: string): Promise<FleetView | null> {
  return latestRunView(client, fleetWorkflowIdOf(nameOrId), (run) =>
    answerInTime(client, () => fleetStatusOf(client, run, { withRotationPhases: true })));
}

async function fleetStatusOf(
  client: Client, run: WorkflowExecutionDescription, options: FleetStatusOptions,
): Promise<FleetStatusView | null> {
  const handle = client.workflow.getHandle<FleetWorkflow>(run.workflowId);
  let status: FleetStatus;
  try {
    // A finished fleet's report is its final status: reading it needs no worker and no replay of a long history.
    status = run.status.name === 'COMPLETED' ? await handle.result() : await handle.query(fleetStatusQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  const clusters: FleetClusterView[] = status.clusters.map((cluster) => ({ ...cluster, rotationPhase: null }));
  if (options.withRotationPhases) {
    const running = clusters.filter((cluster) => cluster.phase === 'Running');
    for (let i = 0; i < running.length; i += CHILD_QUERY_BATCH) {
      await Promise.all(running.slice(i, i + CHILD_QUERY_BATCH).map(async (cluster) => {
        try {
          const child = client.workflow.getHandle(cluster.workflowId ?? clusterRotationWorkflowId(cluster.id));
          cluster.rotationPhase = (await child.query(statusQuery)).phase;
        } catch {
          // A child that just ended or has no worker right now: its phase shows up in the fleet's next status.
        }
      }));
    }
  }
  return { ...status, clusters };
}

/**
 * Sends a control Update and returns the fleet's status after it. A request that does not apply now
 * is refused by the workflow's validator: WorkflowUpdateFailedError with the reason (the API's 409).
 */
export async function sendFleetControl(client: Client, nameOrId: string, control: FleetControl): Promise<FleetStatus> {
  const handle = fleetHandle(client, nameOrId);
  // The table gives each name its definition; the request type ties the input to it.
  const update = FLEET_UPDATES[control.update] as UpdateDefinition<FleetStatus, [unknown]>;
  return control.input === undefined
    ? handle.executeUpdate(update as unknown as UpdateDefinition<FleetStatus, []>)
    : handle.executeUpdate(update, { args: [control.input] });
}
