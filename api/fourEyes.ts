// The four-eyes rule at the API: whoever requested a rotation (single or fleet) may neither approve
// nor reject it. A first, friendlier check: the workflows refuse the same on every path.
import { sameIdentity } from '../common/identity.js';
import { ApiError } from './errors.js';

/** requestedBy null: the status could not be read, so the rule cannot be checked; refuse rather than guess. */
export function assertNotOwnRequest(what: 'approve' | 'reject', caller: string, requestedBy: string | null): void {
  if (requestedBy === null) {
    throw new ApiError('unavailable', 'the status cannot be read to check who requested it; try again');
  }
  if (sameIdentity(caller, requestedBy)) {
    throw new ApiError('forbidden', `four-eyes rule: '${caller}' requested this rotation and cannot ${what} it${what === 'reject' ? ' (abort stops it)' : ''}`);
  }
}
