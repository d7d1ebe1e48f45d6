// The human controls as HTTP routes, one table for both the rotation and the fleet routes: the
// same seven Updates, the same roles, and one way to turn a request body into a control request.
import type { TSchema } from 'typebox';
import type { CommonControl } from '../../client/index.js';
import type { UpdateName } from '../../common/names.js';
import type { Permission } from '../auth.js';
import { ApproveBody, FleetApproveBody, NoBody, ReasonBody, SkipBody } from '../schemas.js';

/** What one route of a kind (rotation or fleet) documents and accepts. */
interface ControlRouteOf { summary: string; body: TSchema }

export interface ControlRoute {
  update: UpdateName;
  permission: Permission;
  rotation: ControlRouteOf;
  fleet: ControlRouteOf;
}

export const CONTROL_ROUTES: readonly ControlRoute[] = [
  {
    update: 'approve', permission: 'approver',
    rotation: { summary: 'Approve the pending gate (four-eyes: not by its requester)', body: ApproveBody },
    fleet: { summary: 'Approve the gate waiting: the canary\'s or a stage\'s (four-eyes: not by its requester)', body: FleetApproveBody },
  },
  {
    update: 'reject', permission: 'approver',
    rotation: { summary: 'Reject the pending gate; the rotation ends with nothing changed', body: ReasonBody },
    fleet: { summary: 'Reject the gate waiting: no further stage starts', body: ReasonBody },
  },
  {
    update: 'pause', permission: 'operator',
    rotation: { summary: 'Pause before the next step', body: NoBody },
    fleet: { summary: 'Start no new clusters until resumed', body: NoBody },
  },
  {
    update: 'resume', permission: 'operator',
    rotation: { summary: 'Resume a paused rotation, or continue a run that ended unfinished in a new run', body: NoBody },
    fleet: { summary: 'Resume a paused fleet, or a halted one (accepting its failures so far)', body: NoBody },
  },
  {
    update: 'retry', permission: 'operator',
    rotation: { summary: 'Retry the step a Blocked rotation stopped at', body: NoBody },
    fleet: { summary: 'Rotate failed clusters again', body: SkipBody },
  },
  {
    update: 'skip', permission: 'operator',
    rotation: { summary: 'Skip the step a Blocked rotation stopped at, where that is safe', body: NoBody },
    fleet: { summary: 'Mark failed clusters Skipped and go on', body: SkipBody },
  },
  {
    update: 'abort', permission: 'operator',
    rotation: { summary: 'Abort; compensates to a safe state when credentials were already touched', body: ReasonBody },
    fleet: { summary: 'Start no new clusters; running ones are cancelled and compensate', body: ReasonBody },
  },
];

/**
 * The control request for a validated body; `by` is always the authenticated caller. The route's
 * body schema has already admitted only the fields its Update takes.
 */
export function controlRequest(update: UpdateName, by: string, body: unknown): CommonControl {
  const fields = (body ?? {}) as { comment?: string; reason?: string; clusterIds?: number[]; stage?: string };
  switch (update) {
    case 'approve': return { update, input: { by, ...(fields.comment ? { comment: fields.comment } : {}), ...(fields.stage ? { stage: fields.stage } : {}) } };
    case 'reject':
    case 'abort': return { update, input: { by, reason: fields.reason ?? '' } };
    case 'retry':
    case 'skip': return { update, input: { by, ...(fields.clusterIds ? { clusterIds: fields.clusterIds } : {}) } };
    default: return { update, input: { by } };
  }
}
