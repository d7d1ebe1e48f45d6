// The workflows the worker registers (Worker.create({ workflowsPath })): every export is a workflow type.
export { clusterRotation } from './clusterRotation.js';
export { fleetRotation } from './fleetRotation.js';
