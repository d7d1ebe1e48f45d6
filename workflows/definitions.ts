// Every Query, Update and Signal of both workflows, in one place. The workflows install handlers for
// these and the client sends them, so both sides agree on names and argument types. The names are
// the fixed contract of docs/design.md ("Fixed names"): outside tools (Temporal CLI, Temporal Web)
// use them as strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { CLUSTER_FINISHED_SIGNAL, STATUS_QUERY, type UpdateName } from '../common/names.js';
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

// ---- The same controls as Signals, for tools that cannot send Updates (Temporal Web's "Send a
// Signal", `temporal workflow signal`). Same names, same inputs; the input may be missing (a CLI
// signal without --input), and the decision refuses what it needs and lacks. A Signal has no answer:
// a refusal is kept in the status (workflows/signalControls.ts).
export const approveSignal = defineSignal<[ApproveInput?]>('approve');
export const rejectSignal = defineSignal<[RejectInput?]>('reject');
export const pauseSignal = defineSignal<[ControlInput?]>('pause');
export const resumeSignal = defineSignal<[ControlInput?]>('resume');
export const retrySignal = defineSignal<[ControlInput?]>('retry');
export const skipSignal = defineSignal<[ControlInput?]>('skip');
export const abortSignal = defineSignal<[AbortInput?]>('abort');

export const fleetRetrySignal = defineSignal<[FleetSkipInput?]>('retry');
export const fleetSkipSignal = defineSignal<[FleetSkipInput?]>('skip');

/** What each control does, for Temporal Web's workflow metadata (the handlers' descriptions). */
export const ROTATION_CONTROL_DESCRIPTIONS: Record<UpdateName, string> = {
  approve: 'Approve the pending gate. Input {"by": "<your name>", "comment"?: "..."}; not the requester (four-eyes).',
  reject: 'Reject the pending gate: the rotation ends Rejected with nothing changed. Input {"by": "<your name>", "reason": "..."}; not the requester.',
  pause: 'Pause before the next step, workload or node; inside the credential window it takes effect after delivery. Input {"by"?: "..."}.',
  resume: 'Resume a paused rotation, or cancel a pending pause. Input {"by"?: "..."}.',
  retry: 'Retry the step the rotation is Blocked on. Input {"by"?: "..."}.',
  skip: 'Skip the step the rotation is Blocked on, where that is safe. Input {"by"?: "..."}.',
  abort: 'Stop the rotation; inside the credential window it rolls forward to working credentials first. Input {"by": "...", "reason": "..."}.',
};

export const FLEET_CONTROL_DESCRIPTIONS: Record<UpdateName, string> = {
  approve: 'Approve the canary gate: the other waves start. Input {"by": "<your name>", "comment"?: "..."}; not the requester (four-eyes).',
  reject: 'Reject the canary gate: no further cluster starts. Input {"by": "<your name>", "reason": "..."}; not the requester.',
  pause: 'Start no new cluster rotation until resumed (running ones go on). Input {"by"?: "..."}.',
  resume: 'Resume a paused fleet, or a halted one (accepting the failures so far). Input {"by"?: "..."}.',
  retry: 'Rotate failed clusters again (all, or those named). Input {"by"?: "...", "clusterIds"?: [1, 2]}.',
  skip: 'Mark failed clusters Skipped (all, or those named) so the fleet goes on. Input {"by"?: "...", "clusterIds"?: [1, 2]}.',
  abort: 'Start no new cluster rotation; running ones finish safely. Input {"by": "...", "reason": "..."}.',
};

export const STATUS_DESCRIPTION = 'Phase, step, plan, progress, pending gate, last error, refused signals and timeline.';

/** A child rotation tells its fleet (by workflow id, which survives continue-as-new) how it ended. */
export const clusterFinishedSignal = defineSignal<[ClusterFinishedSignal]>(CLUSTER_FINISHED_SIGNAL);
