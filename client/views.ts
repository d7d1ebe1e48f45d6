// What the client side hands back: plain, typed views of workflow runs, each naming its run
// (workflowId and runId), so callers never hold SDK handles or ask again for a run id.
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { RotationPhase } from '../common/names.js';
import type { FleetCluster, FleetStatus, RotationStatus } from '../common/types.js';

/** One run of a workflow. */
export interface StartedRun {
  workflowId: string;
  runId: string;
}

/** Temporal's execution status of a run, by its SDK name. */
export type ExecutionStatusName = WorkflowExecutionStatusName;

/** The latest run of a workflow id and its status; `status` is null when no worker answered in time. */
export interface RunView<S> extends StartedRun {
  execution: ExecutionStatusName;
  status: S | null;
}

export type RotationView = RunView<RotationStatus>;

/** A fleet cluster with the running child's own phase filled in (withRotationPhases). */
export interface FleetClusterView extends FleetCluster { rotationPhase: RotationPhase | null }
export interface FleetStatusView extends FleetStatus { clusters: FleetClusterView[] }

export type FleetView = RunView<FleetStatusView>;

/** What a visibility listing knows about a run, without asking a worker. */
export interface RunSummary extends StartedRun {
  requestedBy: string | null;
  execution: ExecutionStatusName;
  startTime: string;
  closeTime: string | null;
}

export interface RotationSummary extends RunSummary {
  clusterId: number | null;
  region: string | null;
  phase: RotationPhase | null;
  fleetRotationId: string | null;
}

export interface FleetSummary extends RunSummary {
  name: string;
}

/** A page of a visibility listing; page tokens travel as opaque base64url text. */
export interface PageRequest {
  pageSize: number;
  /** from the previous page */
  nextPageToken?: string;
}

export interface RotationListQuery extends PageRequest {
  phase?: RotationPhase;
  clusterId?: number;
  fleetRotationId?: string;
}

export interface RotationListPage {
  rotations: RotationSummary[];
  nextPageToken: string | null;
}

export interface FleetListPage {
  fleets: FleetSummary[];
  nextPageToken: string | null;
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
