// Transitional: client/rotations.ts imports the workflow's type from here. The workflow lives in
// clusterRotation/workflow.ts (exported by index.ts); once client/ imports it from there, delete this file.
export { clusterRotation } from './clusterRotation/workflow.js';
