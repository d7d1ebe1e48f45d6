// Every Query, Update and Signal of both workflows, in one place. The workflows install handlers for
// these and the client sends them, so both sides agree on names and argument types. The names are
// the fixed contract of docs/design.md ("Fixed names"): outside tools (Temporal CLI, Temporal Web)
// use them as strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { CLUSTER_FINISHED_SIGNAL, STATUS_QUERY } from '../common/names.js';
import type {
  AbortInput, ApproveInput, ClusterFinishedSignal, ControlInput, FleetSkipInput, FleetStatus, RejectInput,
  RotationControlResult, RotationStatus,
} from '../common/types.js';

// ---- clusterRotation
export const statusQuery = defineQuery<RotationStatus>(STATUS_QUERY);
export const approveUpdate = defineUpdate<RotationControlResult, [ApproveInput], 'approve'>('approve');
export const rejectUpdate = defineUpdate<RotationControlResult, [RejectInput], 'reject'>('reject');
export const pauseUpdate = defineUpdate<RotationControlResult, [ControlInput], 'pause'>('pause');
export const resumeUpdate = defineUpdate<RotationControlResult, [ControlInput], 'resume'>('resume');
export const retryUpdate = defineUpdate<RotationControlResult, [ControlInput], 'retry'>('retry');
export const skipUpdate = defineUpdate<RotationControlResult, [ControlInput], 'skip'>('skip');
export const abortUpdate = defineUpdate<RotationControlResult, [AbortInput], 'abort'>('abort');

// ---- fleetRotation (same names, fleet-shaped answers)
export const fleetStatusQuery = defineQuery<FleetStatus>(STATUS_QUERY);
export const fleetApproveUpdate = defineUpdate<FleetStatus, [ApproveInput], 'approve'>('approve');
export const fleetRejectUpdate = defineUpdate<FleetStatus, [RejectInput], 'reject'>('reject');
export const fleetPauseUpdate = defineUpdate<FleetStatus, [ControlInput?], 'pause'>('pause');
export const fleetResumeUpdate = defineUpdate<FleetStatus, [ControlInput?], 'resume'>('resume');
export const fleetRetryUpdate = defineUpdate<FleetStatus, [FleetSkipInput?], 'retry'>('retry');
export const fleetSkipUpdate = defineUpdate<FleetStatus, [FleetSkipInput?], 'skip'>('skip');
export const fleetAbortUpdate = defineUpdate<FleetStatus, [AbortInput], 'abort'>('abort');

/** A child rotation tells its fleet (by workflow id, which survives continue-as-new) how it ended. */
export const clusterFinishedSignal = defineSignal<[ClusterFinishedSignal]>(CLUSTER_FINISHED_SIGNAL);
