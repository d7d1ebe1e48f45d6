// The gate policy at the API, a first and friendlier check than the workflows' (which hold it on
// every path): switching an approval gate off needs the admin role, and the admin is recorded as
// who switched it off; a fleet over every cluster must say `all: true` (docs/design.md, "The controls").
import { fleetGatesSwitchedOff, gatesSwitchedOffIn, selectsEverything } from '../common/gates.js';
import type { ClusterRotationInput, FleetRotationInput } from '../common/types.js';
import { hasPermission, type Caller } from './auth.js';
import { ApiError } from './errors.js';

function requireAdmin(caller: Caller, fields: string[], where: string): void {
  if (fields.length === 0 || hasPermission(caller, 'admin')) return;
  throw new ApiError('forbidden',
    `'${caller.name}' lacks the 'admin' role needed to switch approval gates off (${fields.join(', ')}): ` +
    `${where} would pass without a second person's approval`, fields[0]);
}

/** The rotation as started by the caller: a gate switched off names the admin who did it. */
export function rotationWithGatePolicy(caller: Caller, input: ClusterRotationInput): ClusterRotationInput {
  const off = gatesSwitchedOffIn(input.approvals);
  requireAdmin(caller, off, 'the rotation');
  return off.length ? { ...input, approvals: { ...input.approvals, disabledBy: caller.name } } : input;
}

/** The fleet as started (or scheduled) by the caller: every cluster only with all: true; gates off only by an admin. */
export function fleetWithGatePolicy(caller: Caller, input: FleetRotationInput, prefix = ''): FleetRotationInput {
  if (selectsEverything(input.selector) && input.selector.all !== true) {
    throw new ApiError('invalid_request',
      'the selector is empty, which selects every cluster of the account: set selector.all to true to mean it, or give criteria',
      `${prefix}selector.all`);
  }
  const off = fleetGatesSwitchedOff(input);
  requireAdmin(caller, off.map((field) => `${prefix}${field}`), 'the fleet');
  return off.length ? { ...input, gatesDisabledBy: caller.name } : input;
}
