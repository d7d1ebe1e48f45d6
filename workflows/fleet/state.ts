// Transitional: client/fleets.ts imports describeSelector from here. The fleet's state lives in
// fleetRotation/state.ts; once client/ imports it from there, delete this file and its folder.
export { describeSelector } from '../fleetRotation/state.js';
