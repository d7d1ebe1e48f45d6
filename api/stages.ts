// A fleet's stages are checked when the fleet (or its Schedule) is created, with the rules the
// workflow holds too (common/stages.ts): what the schema cannot say (one `rest`, and last; unique
// names; not with `waves` or `soakMs`) is the caller's 400, not a fleet that fails later.
import { stagesProblems } from '../common/stages.js';
import type { FleetRotationInput } from '../common/types.js';
import { ApiError } from './errors.js';

/** Throws a 400 naming the first offending field (prefixed, e.g. "fleet.") when the stages break a rule. */
export function assertValidStages(input: Pick<FleetRotationInput, 'stages' | 'waves' | 'soakMs'>, prefix = ''): void {
  const [first, ...more] = stagesProblems(input);
  if (!first) return;
  const also = more.length ? ` (and ${more.map((p) => `${prefix}${p.field}: ${p.message}`).join('; ')})` : '';
  throw new ApiError('invalid_request', `${first.message}${also}`, `${prefix}${first.field}`);
}
