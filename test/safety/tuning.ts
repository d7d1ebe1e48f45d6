// How the safety cases start rotations: the scenario's own choices, with retries and timeouts
// scaled to the time-scaled simulator so a Blocked step shows in seconds, not hours.
import { LINODE_TASK_QUEUE } from '../../common/names.js';
import type { ClusterRotationWorkflowInput, FleetRotationInput, RotationTuning } from '../../common/types.js';
import { REQUESTER, type Scenario } from './scenario.js';

/** who switches gates off when a scenario says an admin did */
export const ADMIN = 'root-admin';

export const TUNING: RotationTuning = {
  activityRetryInitialIntervalMs: 100,
  activityRetryMaximumIntervalMs: 500,
  activityMaximumAttempts: 2,
  // heartbeats 0.36 s, deletes 0.7 s, verify 5.4 s, the kubeconfig wait 7.2 s: a killed worker's
  // activity is retried within a second, and a wait that cannot end Blocks in about 10 s
  activityTimeoutScale: 0.006,
};

export function rotationInput(s: Scenario, clusterId: number, requestedBy: string = REQUESTER): ClusterRotationWorkflowInput {
  return {
    clusterId,
    requestedBy,
    approvals: { ...s.gates, ...(s.adminDisabledGates ? { disabledBy: ADMIN } : {}) },
    restart: { scope: s.restart },
    recycle: { mode: s.recycle },
    tuning: TUNING,
    ...(s.linodeQueue ? { linodeTaskQueue: LINODE_TASK_QUEUE } : {}),
  };
}

export function fleetInput(s: Scenario, name: string, clusterIds: number[]): FleetRotationInput {
  return {
    name,
    requestedBy: REQUESTER,
    selector: { clusterIds },
    ...(s.adminDisabledGates ? { gatesDisabledBy: ADMIN } : {}),
    rotation: { approvals: { ...s.gates }, restart: { scope: s.restart }, recycle: { mode: s.recycle }, tuning: TUNING },
    // stages replace the canary and the rest (the workflow refuses both together)
    ...(s.stages ? { stages: s.stages } : { waves: { canary: s.fleet?.canary ?? 1, canaryApproval: s.fleet?.canaryApproval ?? true } }),
    concurrency: 3,
    errorBudget: { count: 3 },
    watchIntervalMs: 500,
    ...(s.linodeQueue ? { linodeTaskQueue: LINODE_TASK_QUEUE } : {}),
  };
}
