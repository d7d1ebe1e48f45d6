// Types shared by the API, the workflows, the activities and the simulator, by area under types/.
// Pure declarations only: workflows import this file, so nothing here may touch I/O.
export * from './types/linode.js';
export * from './types/snapshot.js';
export * from './types/rotation.js';
export * from './types/fleet.js';
export * from './types/stages.js';
