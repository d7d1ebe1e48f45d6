// Client-side entry points for fleet rotations, used by the API, the demo and the tests: start one,
// read its status, steer it with Updates, and run it on a Temporal Schedule.
import {
  ScheduleOverlapPolicy, WorkflowNotFoundError,
  type Client, type ScheduleSpec, type WorkflowHandle,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  STATUS_QUERY, TASK_QUEUE, WORKFLOW_TYPES, clusterRotationWorkflowId, fleetRotationWorkflowId, type RotationPhase,
} from '../common/names.js';
import type {
  AbortInput, ApproveInput, ControlInput, FleetCluster, FleetReport, FleetRotationInput, FleetSkipInput, FleetStatus,
  RejectInput, RotationStatus,
} from '../common/types.js';
import { describeSelector } from '../workflows/fleet/state.js';
import { FLEET_ROTATION_ID, REQUESTED_BY } from '../common/searchAttributes.js';

const FLEET_ID_PREFIX = fleetRotationWorkflowId('');

/** A fleet is named by its `name` or by its workflow id (scheduled runs carry a time suffix on the id). */
export const fleetWorkflowIdOf = (nameOrId: string): string =>
  nameOrId.startsWith(FLEET_ID_PREFIX) ? nameOrId : fleetRotationWorkflowId(nameOrId);

type FleetWorkflow = (input: FleetRotationInput) => Promise<FleetReport>;

export interface StartedFleet { workflowId: string; runId: string }

function searchAttributesOf(input: FleetRotationInput, workflowId: string): SearchAttributePair[] {
  return [
    { key: FLEET_ROTATION_ID, value: workflowId },
    { key: REQUESTED_BY, value: input.requestedBy },
  ];
}

const summaryOf = (input: FleetRotationInput): string => `Rotate LKE fleet ${input.name}: ${describeSelector(input.selector)}`;

/** Where the workflow runs; its children run on the same task queue. Default `lke-rotation`. */
export interface FleetStartOptions { taskQueue?: string }

/** Throws WorkflowExecutionAlreadyStartedError when a fleet rotation of that name is running. */
export async function startFleetRotation(
  client: Client, input: FleetRotationInput, options: FleetStartOptions = {},
): Promise<StartedFleet> {
  const workflowId = fleetRotationWorkflowId(input.name);
  const handle = await client.workflow.start<FleetWorkflow>(WORKFLOW_TYPES.fleetRotation, {
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowId,
    args: [input],
    typedSearchAttributes: searchAttributesOf(input, workflowId),
    staticSummary: summaryOf(input),
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

export const fleetHandle = (client: Client, nameOrId: string): WorkflowHandle<FleetWorkflow> =>
  client.workflow.getHandle<FleetWorkflow>(fleetWorkflowIdOf(nameOrId));

/** A fleet cluster with the running child's own phase filled in (withRotationPhases). */
export interface FleetClusterView extends FleetCluster { rotationPhase: RotationPhase | null }
export interface FleetStatusView extends FleetStatus { clusters: FleetClusterView[] }

/** How many running children are asked for their phase at once. */
const CHILD_QUERY_BATCH = 20;

/**
 * The fleet's `status` Query, or null when there is no such fleet. withRotationPhases also asks each
 * running child rotation for its own phase (the fleet workflow cannot query its children itself).
 */
export async function getFleetStatus(
  client: Client, nameOrId: string, options: { withRotationPhases?: boolean } = {},
): Promise<FleetStatusView | null> {
  const handle = fleetHandle(client, nameOrId);
  let status: FleetStatus;
  try {
    // A finished fleet's report is its final status: reading it needs no worker and no replay of a long history.
    const { status: execution } = await handle.describe();
    status = execution.name === 'COMPLETED' ? await handle.result() : await handle.query<FleetStatus>(STATUS_QUERY);
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
          cluster.rotationPhase = (await child.query<RotationStatus>(STATUS_QUERY)).phase;
        } catch {
          // A child that just ended or has no worker right now: its phase shows up in the fleet's next status.
        }
      }));
    }
  }
  return { ...status, clusters };
}

export type FleetControl =
  | { update: 'approve'; input: ApproveInput }
  | { update: 'reject'; input: RejectInput }
  | { update: 'abort'; input: AbortInput }
  | { update: 'pause' | 'resume'; input?: ControlInput }
  | { update: 'skip' | 'retry'; input?: FleetSkipInput };

/**
 * Sends a control Update and returns the fleet's status after it. A request that does not apply now
 * is refused by the workflow's validator: WorkflowUpdateFailedError with the reason (the API's 409).
 */
export async function sendFleetControl(client: Client, nameOrId: string, control: FleetControl): Promise<FleetStatus> {
  const handle = fleetHandle(client, nameOrId);
  return control.input === undefined
    ? handle.executeUpdate<FleetStatus, []>(control.update)
    : handle.executeUpdate<FleetStatus, [typeof control.input]>(control.update, { args: [control.input] });
}

// ---- Schedules: a fleet rotation that runs periodically.

export interface FleetScheduleOptions extends FleetStartOptions {
  scheduleId: string;
  input: FleetRotationInput;
  /** when to run, e.g. { intervals: [{ every: '30 days' }] } or { cronExpressions: ['0 3 1 * *'] } */
  spec: ScheduleSpec;
  paused?: boolean;
  note?: string;
}

export interface FleetScheduleSummary {
  scheduleId: string;
  fleetName: string | null;
  paused: boolean;
  note: string | null;
  nextRunAt: string | null;
  /** workflow ids of the latest runs it started, oldest first */
  recentRuns: string[];
}

/** Throws ScheduleAlreadyRunning when the id is taken. */
export async function createFleetSchedule(client: Client, options: FleetScheduleOptions): Promise<{ scheduleId: string }> {
  // The server suffixes each run's id with its start time, so runs stay distinct under `rotate-fleet-<name>`.
  const workflowId = fleetRotationWorkflowId(options.input.name);
  const handle = await client.schedule.create({
    scheduleId: options.scheduleId,
    spec: options.spec,
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.fleetRotation,
      workflowId,
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      args: [options.input],
      typedSearchAttributes: searchAttributesOf(options.input, workflowId),
      staticSummary: summaryOf(options.input),
    },
    // A fleet still rotating when the next run is due is left to finish; that run is skipped.
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { paused: options.paused ?? false, ...(options.note ? { note: options.note } : {}) },
  });
  return { scheduleId: handle.scheduleId };
}

export async function listFleetSchedules(client: Client): Promise<FleetScheduleSummary[]> {
  const schedules: FleetScheduleSummary[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.action?.type !== 'startWorkflow' || schedule.action.workflowType !== WORKFLOW_TYPES.fleetRotation) continue;
    const next = schedule.info.nextActionTimes[0];
    schedules.push({
      scheduleId: schedule.scheduleId,
      fleetName: null,
      paused: schedule.state.paused,
      note: schedule.state.note ?? null,
      nextRunAt: next ? next.toISOString() : null,
      recentRuns: schedule.info.recentActions.map((action) => action.action.workflow.workflowId),
    });
  }
  // The list view carries no action arguments; describe fills in the fleet's name.
  await Promise.all(schedules.map(async (summary) => {
    const description = await client.schedule.getHandle(summary.scheduleId).describe();
    if (description.action.type === 'startWorkflow') {
      const input = description.action.args?.[0] as FleetRotationInput | undefined;
      summary.fleetName = input?.name ?? null;
    }
  }));
  return schedules.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export async function pauseFleetSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).pause(note);
}

export async function unpauseFleetSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).unpause(note);
}

/** Starts a run now, outside the schedule's times (overlap policy still applies). */
export async function triggerFleetSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).trigger();
}

export async function deleteFleetSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).delete();
}
