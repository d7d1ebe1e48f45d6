// A fleet's label pattern is checked when the fleet (or its Schedule) is created, with the same
// compiler the selection activity uses (common/labelPattern.ts): a bad pattern is the caller's 400,
// not a workflow that fails later.
import { labelPatternProblem } from '../common/labelPattern.js';
import type { FleetSelector } from '../common/types.js';
import { ApiError } from './errors.js';

/** Throws a 400 naming `field` (e.g. "selector.labelPattern") when the selector's label pattern is invalid. */
export function assertValidLabelPattern(selector: FleetSelector, field: string): void {
  if (selector.labelPattern === undefined) return;
  const problem = labelPatternProblem(selector.labelPattern);
  if (problem !== null) throw new ApiError('invalid_request', problem, field);
}
