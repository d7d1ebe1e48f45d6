// The Update and Query handles of clusterRotation, shared by the workflow (setHandler) and the client
// (executeUpdate / query) so both sides agree on names and argument types.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { STATUS_QUERY } from '../common/names.js';
import type {
  AbortInput, ApproveInput, ControlInput, RejectInput, RotationControlResult, RotationStatus,
} from '../common/types.js';

export const approveUpdate = defineUpdate<RotationControlResult, [ApproveInput], 'approve'>('approve');
export const rejectUpdate = defineUpdate<RotationControlResult, [RejectInput], 'reject'>('reject');
export const pauseUpdate = defineUpdate<RotationControlResult, [ControlInput], 'pause'>('pause');
export const resumeUpdate = defineUpdate<RotationControlResult, [ControlInput], 'resume'>('resume');
export const retryUpdate = defineUpdate<RotationControlResult, [ControlInput], 'retry'>('retry');
export const skipUpdate = defineUpdate<RotationControlResult, [ControlInput], 'skip'>('skip');
export const abortUpdate = defineUpdate<RotationControlResult, [AbortInput], 'abort'>('abort');

export const statusQuery = defineQuery<RotationStatus>(STATUS_QUERY);
