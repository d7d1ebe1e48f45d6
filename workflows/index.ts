// The workflows the worker registers (Worker.create({ workflowsPath })): every export is a workflow type.
export { clusterRotation } from './clusterRotation/workflow.js';
export { fleetRotation } from './fleetRotation/workflow.js';
