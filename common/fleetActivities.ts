// The activity contract of fleet rotation, implemented in activities/fleet.ts. Like
// common/activities.ts, results carry ids and labels only: they land in workflow history.
import type { RotationPhase } from './names.js';
import type { FleetSelector, SelectedCluster, StageHealthInput, StageHealthResult } from './types.js';

export interface RotationRef { workflowId: string; runId?: string | null }

/** How a followed rotation ended. */
export interface RotationOutcome { workflowId: string; phase: RotationPhase; error?: string }

export interface FleetActivities {
  /** pages through GET /lke/clusters with X-Filter on tags and regions; ids and label pattern applied here */
  selectClusters(selector: FleetSelector): Promise<SelectedCluster[]>;
  /**
   * One look at rotations the fleet follows without a child handle (attached to, or started by an
   * earlier run): the outcomes of those that have ended; running ones are left out. A short call, so
   * following hundreds of rotations never holds hundreds of activity slots.
   */
  checkRotations(refs: RotationRef[]): Promise<RotationOutcome[]>;
  /**
   * One look at a stage's health during its soak: every Node Ready, every workload the clusters'
   * rotations restarted neither failing its rollout nor below the ready replicas of the first look
   * (which records them as the baseline). Findings name the cluster and the reason.
   */
  checkStageHealth(input: StageHealthInput): Promise<StageHealthResult>;
}
