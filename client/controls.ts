// The one control-request type. A human control (approve, reject, pause, resume, retry, skip,
// abort) is an Update name with that Update's argument; both are read off the workflows' own
// definitions, so a rotation's and a fleet's requests cannot drift from what the workflows accept.
import type { UpdateDefinition } from '@temporalio/common';
import type { UpdateName } from '../common/names.js';
import {
  abortUpdate, approveUpdate, fleetAbortUpdate, fleetApproveUpdate, fleetPauseUpdate, fleetRejectUpdate,
  fleetResumeUpdate, fleetRetryUpdate, fleetSkipUpdate, pauseUpdate, rejectUpdate, resumeUpdate, retryUpdate,
  skipUpdate,
} from '../workflows/definitions.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any answer, any name: only the arguments are read
type AnyUpdate = UpdateDefinition<any, any[], any>;

export const ROTATION_UPDATES = {
  approve: approveUpdate, reject: rejectUpdate, pause: pauseUpdate, resume: resumeUpdate,
  retry: retryUpdate, skip: skipUpdate, abort: abortUpdate,
} as const satisfies Record<UpdateName, AnyUpdate>;

export const FLEET_UPDATES = {
  approve: fleetApproveUpdate, reject: fleetRejectUpdate, pause: fleetPauseUpdate, resume: fleetResumeUpdate,
  retry: fleetRetryUpdate, skip: fleetSkipUpdate, abort: fleetAbortUpdate,
} as const satisfies Record<UpdateName, AnyUpdate>;

type ArgsOf<D> = D extends UpdateDefinition<infer _Ret, infer Args, infer _Name> ? Args : never;

/** `input` is required when the Update's argument is, optional when the workflow takes none. */
type RequestFor<U extends UpdateName, Args> =
  Args extends [infer Input] ? { update: U; input: Input } : { update: U; input?: NonNullable<Args extends [unknown?] ? Args[0] : never> };

/** A control request to the workflows whose Updates `Table` defines. */
export type ControlRequest<Table extends Record<UpdateName, AnyUpdate>> =
  { [U in UpdateName]: RequestFor<U, ArgsOf<Table[U]>> }[UpdateName];

export type RotationControl = ControlRequest<typeof ROTATION_UPDATES>;
export type FleetControl = ControlRequest<typeof FLEET_UPDATES>;

type InputOf<Table extends Record<UpdateName, AnyUpdate>, U extends UpdateName> = NonNullable<ArgsOf<Table[U]>[0]>;

/** A request both a rotation and a fleet take: each Update's input satisfies both workflows. */
export type CommonControl = {
  [U in UpdateName]: { update: U; input: InputOf<typeof ROTATION_UPDATES, U> & InputOf<typeof FLEET_UPDATES, U> }
}[UpdateName];
