// The activity contract of fleet rotation, implemented in activities/fleet.ts. Like
// common/activities.ts, results carry ids and labels only: they land in workflow history.
import type { RotationPhase } from './names.js';
import type { FleetSelector, SelectedCluster } from './types.js';

export interface AwaitRotationInput { workflowId: string; runId?: string | null }

export interface AwaitRotationResult { workflowId: string; runId: string | null; phase: RotationPhase; error?: string }

export interface FleetActivities {
  /** pages through GET /lke/clusters with X-Filter on tags and regions; ids and label pattern applied here */
  selectClusters(selector: FleetSelector): Promise<SelectedCluster[]>;
  /** heartbeating: waits for a rotation the fleet did not start in this run (attached, or carried over continue-as-new) */
  awaitRotation(input: AwaitRotationInput): Promise<AwaitRotationResult>;
}
