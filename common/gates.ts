// Which settings switch an approval gate off, and which selector takes every cluster: the API asks
// for the admin role (or `all: true`) on these, and the workflows refuse them when nobody recorded
// as an admin switched them off (docs/design.md, "The controls"). Pure: the workflows use it.
import type { FleetRotationInput, FleetSelector, GateSettings } from './types.js';

/** The fields of a cluster rotation's approvals that switch a gate off, named as a caller wrote them. */
export function gatesSwitchedOffIn(approvals: GateSettings | undefined, prefix = 'approvals'): string[] {
  return (['beforeDelete', 'beforeRecycle'] as const).filter((gate) => approvals?.[gate] === false).map((gate) => `${prefix}.${gate}`);
}

/**
 * The settings of a fleet that let clusters pass without a second person's approval: no canary, no
 * canary gate, or stages of which none but the last has a gate (the last one's guards nothing).
 */
export function fleetGatesSwitchedOff(input: Pick<FleetRotationInput, 'waves' | 'rotation' | 'stages'>): string[] {
  const stagesUngated = input.stages !== undefined && !input.stages.slice(0, -1).some((stage) => stage.approval === true);
  return [
    ...(input.waves?.canary === 0 ? ['waves.canary'] : []),
    ...(input.waves?.canaryApproval === false ? ['waves.canaryApproval'] : []),
    ...(stagesUngated ? ['stages'] : []),
    ...gatesSwitchedOffIn(input.rotation?.approvals, 'rotation.approvals'),
  ];
}

/** No criterion at all: the fleet would take every cluster of the account. */
export function selectsEverything(selector: FleetSelector): boolean {
  return !selector.clusterIds?.length && !selector.tags?.length && !selector.regions?.length && !selector.labelPattern;
}
