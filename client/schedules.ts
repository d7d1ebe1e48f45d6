// Fleet rotations on a Temporal Schedule: a fleet rotation that runs periodically.
import { ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { TASK_QUEUE, WORKFLOW_TYPES, fleetRotationWorkflowId } from '../common/names.js';
import type { FleetRotationInput } from '../common/types.js';
import { fleetStaticDetails } from '../workflows/staticDetails.js';
import { fleetSearchAttributes, fleetSummaryText, type FleetStartOptions } from './fleets.js';
import type { FleetScheduleSummary } from './views.js';

export interface FleetScheduleOptions extends FleetStartOptions {
  scheduleId: string;
  input: FleetRotationInput;
  /** when to run, e.g. { intervals: [{ every: '30 days' }] } or { cronExpressions: ['0 3 1 * *'] } */
  spec: ScheduleSpec;
  paused?: boolean;
  note?: string;
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
      typedSearchAttributes: fleetSearchAttributes(options.input, workflowId),
      staticSummary: fleetSummaryText(options.input),
      staticDetails: fleetStaticDetails(options.input),
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
