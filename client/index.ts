// The Temporal client side of the rotator, in one place: start, read, list, steer and resume cluster
// and fleet rotations, and run fleets on a schedule. Every answer is a typed view naming its run
// (workflowId, runId); Queries and Updates go through the workflows' own definitions.
export * from './views.js';
export * from './controls.js';
export {
  ControlRefusedError, controlRotation, getRotationStatus, getRotationView, sendControl, startRotation,
  type RotationHandle, type StartedRotation, type StartRotationOptions,
} from './rotations.js';
export { RotationNotResumableError, readProgress, resumeRotation } from './resume.js';
export { FleetNotResumableError, carriedFromStatus, resumeFleetRotation } from './fleetResume.js';
export {
  fleetHandle, fleetWorkflowIdOf, getFleetStatus, getFleetView, sendFleetControl, startFleetRotation,
  type FleetStartOptions, type FleetStatusOptions,
} from './fleets.js';
export {
  createFleetSchedule, deleteFleetSchedule, listFleetSchedules, pauseFleetSchedule, triggerFleetSchedule,
  unpauseFleetSchedule, type FleetScheduleOptions,
} from './schedules.js';
export { listFleets, listRotations, rotationVisibilityQuery } from './visibility.js';
export { QUERY_DEADLINE_MS } from './runs.js';
